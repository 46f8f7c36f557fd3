//! `fa2 templates <file>`: mines log templates from any log file (one record per line, or one column of a CSV with a
//! header) with the evidence engine's miner, and prints one JSON object per record, in input order:
//! `{"line": N, "templateId": "T7", "template": "Connection from <*> closed"}`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use clap::Args;
use shared::domain::evidence::templates::{MinerConfig, TemplateId, TemplateMiner};

/// Templates kept at most when mining a file (the analyzers use the smaller default).
const FILE_MAX_TEMPLATES: usize = 1 << 20;

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// The log file: one record per line, or a CSV file with a header when --csv-column is given.
    pub file: PathBuf,
    /// Mine this column of a CSV file (e.g. `Content` in the Loghub sets).
    #[arg(long)]
    pub csv_column: Option<String>,
}

pub fn run(args: TemplatesArgs, out: &mut (dyn Write + Send)) -> Result<(), String> {
    let name = args.file.display().to_string();
    let file = File::open(&args.file).map_err(|e| format!("cannot open {name}: {e}"))?;
    let config = MinerConfig { max_clusters: FILE_MAX_TEMPLATES, ..MinerConfig::default() };
    let mut miner = TemplateMiner::new(config);
    let ids: Vec<TemplateId> = match &args.csv_column {
        None => BufReader::new(file)
            .lines()
            .enumerate()
            .map(|(i, line)| line.map(|l| miner.add(&l)).map_err(|e| format!("{name} line {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?,
        Some(column) => {
            let mut reader = csv::Reader::from_reader(file);
            let headers = reader.headers().map_err(|e| format!("{name}: cannot read the CSV header: {e}"))?;
            let index = headers.iter().position(|h| h == column).ok_or_else(|| {
                format!("{name}: no column {column:?}; the header has {:?}", headers.iter().collect::<Vec<_>>())
            })?;
            reader
                .records()
                .enumerate()
                .map(|(i, record)| {
                    let record = record.map_err(|e| format!("{name} record {}: {e}", i + 1))?;
                    Ok(miner.add(record.get(index).unwrap_or_default()))
                })
                .collect::<Result<_, String>>()?
        }
    };
    let mut out = std::io::BufWriter::new(out);
    let written: std::io::Result<()> = ids.iter().enumerate().try_for_each(|(i, id)| {
        let row = Row { line: i + 1, template_id: id.to_string(), template: miner.template(*id) };
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")
    });
    match written.and_then(|()| out.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(()),
    }
}

/// One output line, fields in the documented order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    line: usize,
    template_id: String,
    template: &'a str,
}
