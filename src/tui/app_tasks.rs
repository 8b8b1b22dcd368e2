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

    /// Lines the Tasks pane shows: a heading per status, a row per task,
    /// and why a queued or failed task waits (its hint when empty).
    pub fn task_rows(&self) -> usize {
        let mut n = 0;
        let mut last = None;
        for t in &self.tasks {
            if last != Some(t.status) {
                n += 1;
                last = Some(t.status);
            }
            n += 1;
            if !t.detail.is_empty() && matches!(t.status, TaskStatus::Queued | TaskStatus::Failed) {
                n += 1;
            }
        }
        n.max(1)
    }

    /// Lines the Messages pane shows at `w` columns (its hint when empty).
    pub fn message_rows(&self, w: usize) -> usize {
        let shown = self.messages.shown();
        if shown.is_empty() {
            return 2;
        }
        shown
            .iter()
            .map(|m| {
                super::messages::rows(m, w.max(1), super::messages::MAX_ROWS)
                    .1
                    .len()
            })
            .sum()
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
