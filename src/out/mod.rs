//! What pidone says: its log, its answers and error line, and the files it
//! leaves on its way out (the termination log and the report).
//!
//! Renders what the run decided; decides nothing itself, and never fails
//! the run: a line or a file that cannot be written is dropped or logged.

// The answers on stdout, the one error line, the panic hook's line.
pub mod console;
// The logger: env_logger writing tini's line shape on stderr.
pub mod logging;
// The files written on the way out, never blocking on a FIFO.
pub mod out_file;
// `--report`: one JSON line describing the run.
pub mod report;
// `--termination-log`: one line saying why pidone exited.
pub mod termination_log;
