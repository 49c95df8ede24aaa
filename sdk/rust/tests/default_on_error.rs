//! The default `on_error` when no logger is installed: every report that
//! could not be made is one line on stderr, saying each cause once.  The
//! test runs its own binary again as a child without a logger and reads
//! that child's stderr (tests/e2e/test_sdk_rust.py sets LOOM_DOWN_URL,
//! where nothing listens).

use std::process::Command;

use loom_crons::CronsClient;

const CHILD: &str = "LOOM_CRONS_TEST_CHILD";
const TEST: &str = "a_lost_report_is_one_line_on_stderr_without_a_logger";

#[tokio::test]
async fn a_lost_report_is_one_line_on_stderr_without_a_logger() {
    let down = std::env::var("LOOM_DOWN_URL").expect("set LOOM_DOWN_URL");
    if std::env::var_os(CHILD).is_some() {
        let crons = CronsClient::builder()
            .api_key("loom_k")
            .base_url(down)
            .build()
            .unwrap();
        let r: Result<u8, String> = crons.with_monitor("rs-unreported", || async { Ok(7) }).await;
        assert_eq!(r, Ok(7));
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8(child.stderr).unwrap();
    assert!(child.status.success(), "{}", stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "the start and the end, one line each:\n{}", stderr);
    for line in lines {
        assert!(
            line.starts_with(&format!("loom-crons: error sending request for url ({}/", down)),
            "{}",
            line
        );
        assert_eq!(line.matches("Connection refused").count(), 1, "{}", line);
    }
}
