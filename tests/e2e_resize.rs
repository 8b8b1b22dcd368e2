//! End-to-end: the outer terminal resized at any moment, while agents print,
//! never takes nox down; afterwards it draws at the final size.

use std::time::Duration;

use crate::support::{NoxPty, Ws, alive};

/// Sizes from 20×6 up to 250×70, visited in a scrambled order.
const SIZES: [(u16, u16); 8] = [
    (48, 160),
    (24, 80),
    (6, 20),
    (70, 250),
    (12, 40),
    (33, 101),
    (7, 61),
    (55, 190),
];

#[test]
fn two_hundred_resizes_while_agents_print_leave_nox_drawing_at_the_right_size() {
    let ws = Ws::new(
        r#"
[[agent]]
name = "ticker"
command = "bash"
args = ["-c", "while :; do echo tick; sleep 0.02; done"]

[[agent]]
name = "flood"
command = "sh"
args = ["-c", "while :; do seq 1 400; sleep 0.01; done"]
"#,
    );
    let mut nox = NoxPty::start(&ws, &[], 48, 160);
    nox.wait_text("tick", 15);
    let pid = nox.pid();
    for i in 0..200 {
        let (rows, cols) = SIZES[(i * 5 + i / 8) % SIZES.len()];
        nox.resize(rows, cols);
        // Between 0 and ~20 ms: some resizes land mid-frame, some between.
        std::thread::sleep(Duration::from_millis((i as u64 * 7) % 21));
        if i % 50 == 0 {
            nox.prefix(b"n");
        }
    }
    assert!(
        alive(pid),
        "nox died during the resizes:\n{}",
        nox.log_tail()
    );
    assert!(
        nox.child.try_wait().expect("try_wait").is_none(),
        "nox exited"
    );
    nox.resize(30, 100);
    // The status line is on the last row, and the Terminal pane's right
    // border on the last column: the frame fills exactly 100×30.
    nox.wait_for("a frame drawn at 100x30", 15, |_| {
        nox.with_screen(|s| {
            let status = s.contents_between(29, 0, 29, 100);
            let corner = s.cell(28, 99).map(|c| c.contents().to_string());
            status.contains("nox ·") && matches!(corner.as_deref(), Some("┘" | "┛"))
        })
    });
    assert_eq!(nox.quit(), 0);
}
