#[derive(clap::Args, Debug)]
pub struct SimArgs {}

pub async fn run(_: SimArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
