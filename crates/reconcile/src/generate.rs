//! A generator of large, realistic repositories, for benchmarks and scale tests.
//!
//! `gen` is a reserved word in Rust 2024: the module is `reconcile::r#gen`.
//!
//! [`write_repository`] writes `cxqueues.yaml` and `n` Queue documents, one per file
//! (`queues/q000000.yaml`, …), that validate clean: unique names, some pinned ids, 2–4 skill
//! requirements from realistic pools, service level targets, waits within range, and overflow
//! chains in groups of 3–4 queues (tier 1 → tier 2 → tier 3 → tier 4: at most 3 hops, no
//! cycles). The same `n` and `seed` always give the same bytes.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// What [`write_repository`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generated {
    /// Queue documents (one per file).
    pub queues: usize,
    /// Bytes of all files, `cxqueues.yaml` included.
    pub bytes: u64,
}

const LANGUAGES: &[(&str, &str, &str)] = &[
    ("en", "EN", "English"),
    ("es", "ES", "Spanish"),
    ("fr", "FR", "French"),
    ("de", "DE", "German"),
    ("pt", "PT", "Portuguese"),
    ("it", "IT", "Italian"),
    ("ja", "JA", "Japanese"),
];
const PRODUCTS: &[(&str, &str, &str)] = &[
    ("billing", "Billing", "billing questions"),
    ("sales", "Sales", "new sales"),
    ("support", "Support", "technical support"),
    ("collections", "Collections", "overdue accounts"),
    (
        "retention",
        "Retention",
        "cancellations and win-back offers",
    ),
    ("onboarding", "Onboarding", "new customer setup"),
    ("claims", "Claims", "insurance claims"),
];
const CHANNELS: &[(&str, &str)] = &[
    ("voice", "Voice"),
    ("chat", "Chat"),
    ("email", "Email"),
    ("sms", "SMS"),
];
const SEGMENTS: &[&str] = &["consumer", "business", "vip", "partner"];
const PROFICIENCIES: &[&str] = &["beginner", "intermediate", "advanced", "expert"];
const MAX_WAIT_TIMES: &[i64] = &[120, 180, 240, 300, 360, 420, 480, 600];
const TEAMS: &[&str] = &["emea", "amer", "apac", "latam"];

/// A tiny deterministic generator (SplitMix64): no dependency, same stream everywhere.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `pct` %.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    /// A random (version 4) UUID.
    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// Writes a repository of `n` queues into `dir` (created if needed): `cxqueues.yaml` and
/// `queues/q{i:06}.yaml`. Deterministic in `n` and `seed`; validates without a diagnostic.
pub fn write_repository(dir: &Path, n: usize, seed: u64) -> io::Result<Generated> {
    let queues_dir = dir.join("queues");
    fs::create_dir_all(&queues_dir)?;
    let tenant = format!(
        "# yaml-language-server: $schema=schemas/tenant.schema.json\n\
         apiVersion: cxqueues/v1\n\
         kind: Tenant\n\
         metadata: {{name: bench-{n}}}\n\
         spec:\n  \
           baseUrl: https://api-us.nice-incontact.com\n  \
           queues: queues\n  \
           limits: {{maxWaiters: 100, maxOverflowDepth: 3, maxSkills: 10}}\n  \
           requestsPerSecond: 10\n  \
           webhooks:\n    \
             - url: https://wfm.example.com/hooks/cxone\n      \
               secretEnv: WFM_WEBHOOK_SECRET\n"
    );
    fs::write(dir.join("cxqueues.yaml"), &tenant)?;
    let mut bytes = tenant.len() as u64;

    let mut rng = Rng(seed ^ 0x00c0_ffee_d00d_f00d);
    let mut text = String::with_capacity(2048);
    let mut i = 0;
    let mut group = 0usize;
    while i < n {
        let size = (3 + rng.below(2)).min(n - i);
        let lang = *rng.pick(LANGUAGES);
        let product = *rng.pick(PRODUCTS);
        let channel = *rng.pick(CHANNELS);
        let segment = *rng.pick(SEGMENTS);
        let team = *rng.pick(TEAMS);
        let name =
            |tier: usize| format!("{} {} {} T{tier} g{group:06}", product.1, lang.1, channel.1);
        for tier in 1..=size {
            text.clear();
            write_queue(
                &mut text,
                &mut rng,
                &QueueShape {
                    name: &name(tier),
                    next: (tier < size).then(|| name(tier + 1)),
                    last_in_group_of_3: tier == size && size == 3,
                    tier,
                    lang,
                    product,
                    channel,
                    segment,
                    team,
                },
            );
            fs::write(queues_dir.join(format!("q{i:06}.yaml")), &text)?;
            bytes += text.len() as u64;
            i += 1;
        }
        group += 1;
    }
    Ok(Generated { queues: n, bytes })
}

struct QueueShape<'a> {
    name: &'a str,
    next: Option<String>,
    last_in_group_of_3: bool,
    tier: usize,
    lang: (&'a str, &'a str, &'a str),
    product: (&'a str, &'a str, &'a str),
    channel: (&'a str, &'a str),
    segment: &'a str,
    team: &'a str,
}

fn write_queue(out: &mut String, rng: &mut Rng, q: &QueueShape<'_>) {
    // `write!` to a String cannot fail.
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../schemas/queue.schema.json"
    );
    let _ = writeln!(out, "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:");
    let _ = writeln!(out, "  name: {}", q.name);
    if rng.chance(30) {
        let _ = writeln!(out, "  id: {}", rng.uuid());
    }
    let _ = writeln!(
        out,
        "  labels: {{team: {}, product: {}, tier: \"{}\"}}",
        q.team, q.product.0, q.tier
    );
    let _ = writeln!(out, "spec:");
    match rng.below(3) {
        0 => {
            let _ = writeln!(
                out,
                "  description: Tier {} {} for {} callers, {} channel",
                q.tier, q.product.2, q.lang.2, q.channel.0
            );
        }
        1 => {
            let _ = writeln!(
                out,
                "  description: \"Tier {}: {} ({}, {}) — {} segment\"",
                q.tier, q.product.2, q.lang.2, q.channel.1, q.segment
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "  description: >-\n    Tier {} queue for {} in {}.\n    Waiters who are not answered in time move to the next tier.",
                q.tier, q.product.2, q.lang.2
            );
        }
    }
    let _ = writeln!(out, "  skillRequirements:");
    let skills = 2 + rng.below(3);
    let names = [
        format!("language:{}", q.lang.0),
        format!("product:{}", q.product.0),
        format!("channel:{}", q.channel.0),
        format!("segment:{}", q.segment),
    ];
    for skill in names.iter().take(skills) {
        let _ = writeln!(out, "    - skill: {skill}");
        let _ = writeln!(out, "      proficiency: {}", rng.pick(PROFICIENCIES));
        if rng.chance(20) {
            let _ = writeln!(out, "      required: false");
        }
    }
    let _ = writeln!(
        out,
        "  serviceLevelTarget: {{threshold: {}, time: {}}}",
        70 + 5 * rng.below(6),
        10 + 5 * rng.below(11)
    );
    let max_wait = *rng.pick(MAX_WAIT_TIMES);
    let _ = writeln!(out, "  maxWaitTime: {max_wait}");
    let _ = writeln!(out, "  maxWaiters: {}", 5 + rng.below(96));
    // 30 ≤ waitTime < maxWaitTime, in steps of 15 s.
    let steps = ((max_wait.min(330) - 30) / 15) as usize;
    let wait = 30 + 15 * rng.below(steps);
    match &q.next {
        Some(next) => {
            let _ = writeln!(out, "  overflow:\n    target: {next}\n    waitTime: {wait}");
        }
        // The end of a group of 3 may overflow to a tenant queue outside the repository (3
        // hops still); the end of a group of 4 has none.
        None if q.last_in_group_of_3 && rng.chance(40) => {
            let _ = writeln!(
                out,
                "  overflow:\n    targetId: {}\n    waitTime: {wait}",
                rng.uuid()
            );
        }
        None if rng.chance(50) => {
            let _ = writeln!(out, "  overflow: null");
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_uuids_and_they_are_version_4() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        let (ua, ub) = (a.uuid(), b.uuid());
        assert_eq!(ua, ub);
        assert_eq!(ua.len(), 36);
        assert_eq!(&ua[14..15], "4");
        assert!(matches!(&ua[19..20], "8" | "9" | "a" | "b"), "{ua}");
    }
}

/// What a tenant must already hold for `repo` to plan without tenant errors: every skill it
/// requires (sorted, once each), every pinned queue (name and id) and every `targetId` of a
/// queue it does not manage. Benchmarks and demos seed their simulated tenants from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantNeeds {
    pub skills: Vec<String>,
    pub pinned: Vec<(String, String)>,
    pub external_targets: Vec<String>,
}

/// The [`TenantNeeds`] of a loaded repository.
pub fn tenant_needs(repo: &model::Repository) -> TenantNeeds {
    let mut needs = TenantNeeds::default();
    for q in &repo.queues {
        if let Some(reqs) = &q.doc.spec.skill_requirements {
            needs
                .skills
                .extend(reqs.value.iter().map(|r| r.skill.value.clone()));
        }
        if let Some(id) = &q.doc.metadata.id {
            needs.pinned.push((q.name().to_string(), id.value.clone()));
        }
        if let Some(Some(o)) = &q.doc.spec.overflow
            && let Some(id) = &o.value.target_id
        {
            needs.external_targets.push(id.value.clone());
        }
    }
    needs.skills.sort();
    needs.skills.dedup();
    needs
}
