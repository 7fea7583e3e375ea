//! `frontline reindex`: asks a running knowledge service to rebuild its search index from the
//! database, showing progress. The index is derived data; this is the one command that
//! re-derives it (after an analyzer change, or to rule the index out when search looks wrong).
use std::{io::Write, time::Instant};

use anyhow::Context;
use frontline_proto::knowledge::v1::{RebuildSearchIndexRequest, knowledge_service_client::KnowledgeServiceClient};
use tonic::transport::Endpoint;

use crate::demo::Bearer;

pub async fn run(target: &str, token: &str) -> anyhow::Result<()> {
    let channel = Endpoint::from_shared(target.to_string())
        .with_context(|| format!("{target} is not a URL such as http://127.0.0.1:50051"))?
        .connect()
        .await
        .with_context(|| format!("could not reach Frontline at {target}; is `frontline serve` running there?"))?;
    let mut knowledge = KnowledgeServiceClient::with_interceptor(channel, Bearer(format!("Bearer {token}").parse()?));
    let started = Instant::now();
    let mut progress = knowledge
        .rebuild_search_index(RebuildSearchIndexRequest {})
        .await
        .context("the server refused to rebuild its search index (is the knowledge service running there?)")?
        .into_inner();
    while let Some(step) = progress.message().await.context("the rebuild stopped")? {
        if step.done {
            eprintln!();
            println!(
                "Rebuilt the search index at {target}: {} articles in {:.1}s.",
                step.indexed,
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        eprint!("\rindexing articles: {}/{}", step.indexed, step.total);
        let _ = std::io::stderr().flush();
    }
    anyhow::bail!("the server ended the rebuild without finishing it; see its log")
}
