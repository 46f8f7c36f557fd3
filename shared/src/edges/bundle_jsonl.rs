//! Reading a bundle's JSONL files: streamed in batches of lines that worker threads parse in parallel, so a
//! million-line `logs.jsonl` loads in about a second, with errors that name the file and line.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use crate::error::{Fa2Error, Result};

/// Lines per batch handed to a worker: large enough to amortize the hand-off, small enough to bound memory.
const BATCH_LINES: usize = 8_192;

/// Lines read but not yet parsed, in one buffer.
struct Batch {
    index: usize,
    first_line: usize,
    text: Vec<u8>,
    /// End offset (exclusive) of each line in `text`.
    ends: Vec<usize>,
}

/// A batch's records, or the first bad line in it (line number, what is wrong).
type Parsed<T> = (usize, Result<Vec<T>, (usize, String)>);

/// Reads a JSONL file; a missing file is an empty one, blank lines are skipped. `parse` explains a bad line in
/// words; the error names the file and the first bad line. Records come back in file order.
pub(super) fn read_jsonl<T: Send>(path: &Path, parse: fn(&[u8]) -> Result<T, String>) -> Result<Vec<T>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Fa2Error::invalid(format!("{}: cannot read: {e}", path.display()))),
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let (batch_sender, batch_receiver) = sync_channel::<Batch>(workers * 2);
    let batch_receiver = Arc::new(Mutex::new(batch_receiver));
    let (result_sender, result_receiver) = std::sync::mpsc::channel::<Parsed<T>>();

    let read_outcome = std::thread::scope(|scope| {
        for _ in 0..workers {
            let (receiver, sender) = (Arc::clone(&batch_receiver), result_sender.clone());
            scope.spawn(move || parse_batches(&receiver, &sender, parse));
        }
        // Only the workers hold the receiving end: if they all die, reading stops instead of waiting forever.
        drop(batch_receiver);
        drop(result_sender);
        // The sender moves into the reader so that the workers see the end once reading stops, even on error.
        read_batches(BufReader::with_capacity(1 << 20, file), batch_sender)
    });

    let mut batches: Vec<Parsed<T>> = result_receiver.into_iter().collect();
    batches.sort_by_key(|(index, _)| *index);
    let mut records = Vec::new();
    for (_, parsed) in batches {
        match parsed {
            Ok(mut batch) => records.append(&mut batch),
            Err((line, why)) => return Err(Fa2Error::invalid(format!("{} line {line}: {why}", path.display()))),
        }
    }
    // A read error comes after every line before it was parsed, so a bad line earlier wins, as reading in order would.
    read_outcome.map_err(|(line, e)| Fa2Error::invalid(format!("{} line {line}: cannot read: {e}", path.display())))?;
    Ok(records)
}

fn read_batches(
    mut reader: impl BufRead,
    sender: std::sync::mpsc::SyncSender<Batch>,
) -> Result<(), (usize, std::io::Error)> {
    let mut line_number = 0;
    for index in 0.. {
        let mut batch =
            Batch { index, first_line: line_number + 1, text: Vec::new(), ends: Vec::with_capacity(BATCH_LINES) };
        while batch.ends.len() < BATCH_LINES {
            let read = reader.read_until(b'\n', &mut batch.text).map_err(|e| (line_number + 1, e))?;
            if read == 0 {
                break;
            }
            line_number += 1;
            batch.ends.push(batch.text.len());
        }
        let finished = batch.ends.len() < BATCH_LINES;
        if !batch.ends.is_empty() && sender.send(batch).is_err() {
            return Ok(());
        }
        if finished {
            break;
        }
    }
    Ok(())
}

fn parse_batches<T>(
    receiver: &Mutex<Receiver<Batch>>,
    sender: &std::sync::mpsc::Sender<Parsed<T>>,
    parse: fn(&[u8]) -> Result<T, String>,
) {
    loop {
        // A poisoned lock means another worker panicked; stop quietly and let the missing batch surface.
        let Ok(batch) = receiver.lock().map(|r| r.recv()) else { return };
        let Ok(batch) = batch else { return };
        let mut records = Vec::with_capacity(batch.ends.len());
        let mut start = 0;
        let mut outcome = Ok(());
        for (offset, end) in batch.ends.iter().enumerate() {
            let line = batch.text[start..*end].trim_ascii();
            start = *end;
            if line.is_empty() {
                continue;
            }
            match parse(line) {
                Ok(record) => records.push(record),
                Err(why) => {
                    outcome = Err((batch.first_line + offset, why));
                    break;
                }
            }
        }
        if sender.send((batch.index, outcome.map(|()| records))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_number(line: &[u8]) -> Result<u64, String> {
        std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()).ok_or_else(|| "not a number".to_string())
    }

    #[test]
    fn many_batches_keep_file_order_and_report_the_first_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.jsonl");
        let mut text: String = (0..BATCH_LINES as u64 * 3 + 5).map(|n| format!("{n}\n")).collect();
        text.push_str("\n  \n7");
        std::fs::write(&path, &text).unwrap();
        let numbers = read_jsonl(&path, parse_number).unwrap();
        assert_eq!(numbers.len(), BATCH_LINES * 3 + 6);
        assert!(numbers[..numbers.len() - 1].windows(2).all(|w| w[0] + 1 == w[1]));

        let bad = text.replace("\n9000\n", "\nx\n").replace("\n20000\n", "\ny\n");
        std::fs::write(&path, bad).unwrap();
        let error = read_jsonl(&path, parse_number).unwrap_err().to_string();
        assert!(error.ends_with("n.jsonl line 9001: not a number"), "{error}");
        assert!(read_jsonl(&dir.path().join("absent.jsonl"), parse_number).unwrap().is_empty());
    }
}
