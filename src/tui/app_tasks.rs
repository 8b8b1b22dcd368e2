//! The dashboard's task state: the board (order, selection) and the
//! results of task effects.

use super::app::{App, Overlay};
use crate::domain::{Task, TaskStatus, TaskSummary};

impl App {
    /// Applies a task snapshot (added or changed).
    pub fn on_task(&mut self, t: TaskSummary) {
        let selected = self.tasks.get(self.task_sel).map(|x| x.id);
        match self.tasks.iter_mut().find(|x| x.id == t.id) {
            Some(slot) => *slot = t,
            None => self.tasks.push(t),
        }
        self.tasks
            .sort_by_key(|x| (board_rank(x.status), -x.priority, x.id));
        if let Some(id) = selected {
            self.task_sel = self.tasks.iter().position(|x| x.id == id).unwrap_or(0);
        }
    }

    /// The selected task.
    pub fn current_task(&self) -> Option<&TaskSummary> {
        self.tasks.get(self.task_sel)
    }

    /// The result of an [`Effect::AddTask`]: close the dialog or show why not.
    pub fn on_task_added(&mut self, result: Result<Task, String>) {
        match result {
            Ok(t) => {
                self.overlay = Overlay::None;
                self.toast = Some(format!("task {} added ({})", t.id, t.status));
                self.on_task(TaskSummary::from(&t));
            }
            Err(e) => {
                if let Overlay::NewTask(d) = &mut self.overlay {
                    d.error = Some(e);
                }
            }
        }
    }
}

/// Board order of task statuses: what needs attention first.
pub fn board_rank(s: TaskStatus) -> u8 {
    use TaskStatus as S;
    match s {
        S::Running => 0,
        S::Assigned => 1,
        S::Queued => 2,
        S::Blocked => 3,
        S::Failed => 4,
        S::Done => 5,
        S::Cancelled => 6,
    }
}
