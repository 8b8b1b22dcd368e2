//! The `JUnit` XML report of a `nox run` (`--junit FILE.xml`, with
//! quick-junit): one `testsuite` named after the plan, one `testcase` per
//! task (name: its key; classname: its agent), its time, a `failure`
//! carrying the reason for a task that failed, was cancelled or timed out,
//! and what the agent showed as `system-out`.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::report::{Report, RunStatus};

/// The `JUnit` document of `report`.
pub fn render(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let suite_name = Path::new(&report.plan)
        .file_stem()
        .map_or_else(|| "plan".to_string(), |s| s.to_string_lossy().into_owned());
    let mut suite = TestSuite::new(suite_name);
    suite.set_time(Duration::from_secs_f64(report.elapsed_secs.max(0.0)));
    suite.add_property(Property::new("workspace", report.workspace.as_str()));
    suite.add_property(Property::new("ended_by", report.ended_by.as_str()));
    for t in &report.tasks {
        let status = match t.status {
            RunStatus::Done => TestCaseStatus::success(),
            other => {
                let reason = t
                    .reason
                    .clone()
                    .unwrap_or_else(|| other.as_str().to_string());
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(reason.as_str())
                    .set_type(other.as_str())
                    .set_description(reason.as_str());
                s
            }
        };
        let mut case = TestCase::new(t.key.as_str(), status);
        case.set_classname(t.agent.as_deref().unwrap_or("unassigned"))
            .set_time(Duration::from_secs_f64(
                t.duration_secs.unwrap_or(0.0).max(0.0),
            ))
            .add_property(Property::new("id", t.id.to_string()))
            .add_property(Property::new("title", t.title.as_str()));
        if !t.output.trim().is_empty() {
            case.set_system_out(t.output.as_str());
        }
        suite.add_test_case(case);
    }
    let mut junit = Junit::new("nox run");
    junit.set_time(Duration::from_secs_f64(report.elapsed_secs.max(0.0)));
    junit.add_test_suite(suite);
    junit.to_string()
}

/// Writes the `JUnit` document of `report` to `path` (atomically).
pub fn write(path: &Path, report: &Report) -> std::io::Result<()> {
    let xml = render(report).map_err(std::io::Error::other)?;
    crate::sys::atomic_write(path, xml.as_bytes())
}
