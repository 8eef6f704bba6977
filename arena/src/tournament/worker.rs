//! The thread that does the slow work of a round (chain transactions,
//! generation, judging) so the ECS schedule never blocks; it takes one job
//! at a time and reports tokens as they stream and the job's outcome.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;

use agents::Agent;
use anyhow::Result;
use judge::Judgment;
use judge::records::{AnswerRecord, RoundRecord, RoundStatus};

use super::lifecycle::Services;
use super::roster::matchmake;
use super::space::Space;
use super::summary::summarize;

/// Work for the worker.
#[derive(Debug)]
pub enum Job {
    /// Report unfinished rounds and progress so far.
    Resume,
    /// Play this space from now on, then report as [`Job::Resume`] does.
    UseSpace(Space),
    /// Add an agent to the roster; it plays in the next round.
    Enlist(Agent),
    /// Matchmake and open the next round.
    OpenNext,
    Pay(RoundRecord),
    Generate(RoundRecord),
    Judge(RoundRecord),
    Settle(RoundRecord),
    Cancel(RoundRecord),
    /// Build the final leaderboard and balances table.
    Summarize,
}

impl Job {
    /// The kind of step, for logs and timings.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Resume => "Resume",
            Job::UseSpace(_) => "UseSpace",
            Job::Enlist(_) => "Enlist",
            Job::OpenNext => "OpenNext",
            Job::Pay(_) => "Pay",
            Job::Generate(_) => "Generate",
            Job::Judge(_) => "Judge",
            Job::Settle(_) => "Settle",
            Job::Cancel(_) => "Cancel",
            Job::Summarize => "Summarize",
        }
    }
}

/// Steps done and time spent, per kind of step, in this run.
pub type Timings = std::collections::BTreeMap<&'static str, (u32, std::time::Duration)>;

/// What a job produced.
#[derive(Debug)]
pub enum Outcome {
    Resumed {
        unfinished: Vec<RoundRecord>,
        closed: usize,
    },
    /// The agent joined the roster (its id).
    Enlisted(String),
    /// A player's request was refused, for this reason; the run goes on.
    Refused(String),
    Opened(RoundRecord),
    /// The round, and whether all entries are paid (false: cancel it).
    Paid(RoundRecord, bool),
    Generated(RoundRecord, Vec<AnswerRecord>),
    Judged(RoundRecord, Box<Judgment>),
    /// The round is closed; what each agent won, in wei.
    Settled(RoundRecord, Vec<Payout>),
    Cancelled(RoundRecord),
    Summary(String),
}

/// A reward credited to an agent's owner at settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub agent: String,
    /// In the smallest unit of the round's asset: wei, or the token's (10^-6 TUSD).
    pub wei: u128,
}

/// A message from the worker.
#[derive(Debug)]
pub enum Report {
    Token {
        agent: String,
        piece: String,
    },
    /// An interactive round after a step of moves, stored: its transcripts so far.
    Step(Box<RoundRecord>),
    /// Boxed: an outcome is large, and every streamed token is a `Report` too.
    Done(Box<Result<Outcome, String>>),
}

/// The engine's handle on the worker thread.
pub struct Worker {
    jobs: Option<Sender<Job>>,
    reports: Mutex<Receiver<Report>>,
    thread: Option<JoinHandle<()>>,
    busy: bool,
}

impl Worker {
    /// Starts the worker with its services, space and roster.
    pub fn start(services: Services, mut space: Space, mut roster: Vec<Agent>) -> Self {
        let (job_tx, job_rx) = channel::<Job>();
        let (report_tx, report_rx) = channel::<Report>();
        let thread = std::thread::Builder::new()
            .name("arena-worker".into())
            .spawn(move || {
                let mut timings = Timings::new();
                let mut next_first: Option<String> = None;
                for job in job_rx {
                    let mut on_token = |agent: &str, piece: &str| {
                        let _ = report_tx.send(Report::Token {
                            agent: agent.to_owned(),
                            piece: piece.to_owned(),
                        });
                    };
                    let mut on_step = |round: &RoundRecord| {
                        let _ = report_tx.send(Report::Step(Box::new(round.clone())));
                    };
                    let mut progress = Progress {
                        on_token: &mut on_token,
                        on_step: &mut on_step,
                    };
                    let kind = job.kind();
                    let started = std::time::Instant::now();
                    let mut state = WorkerState {
                        space: &mut space,
                        roster: &mut roster,
                        next_first: &mut next_first,
                    };
                    let done = run(&services, &mut state, job, &timings, &mut progress)
                        .map_err(|e| format!("{e:#}"));
                    let elapsed = started.elapsed();
                    tracing::info!("{kind} took {elapsed:.2?}");
                    let entry = timings.entry(kind).or_default();
                    entry.0 += 1;
                    entry.1 += elapsed;
                    if report_tx.send(Report::Done(Box::new(done))).is_err() {
                        break;
                    }
                }
            })
            .expect("spawning the worker thread");
        Self {
            jobs: Some(job_tx),
            reports: Mutex::new(report_rx),
            thread: Some(thread),
            busy: false,
        }
    }

    /// Whether a job is under way.
    pub fn busy(&self) -> bool {
        self.busy
    }

    /// Hands a job to the worker.
    pub fn send(&mut self, job: Job) {
        if let Some(jobs) = &self.jobs
            && jobs.send(job).is_ok()
        {
            self.busy = true;
        }
    }

    /// The next report, if one is waiting.
    pub fn try_recv(&mut self) -> Option<Report> {
        let report = match self.reports.lock().expect("report lock").try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Report::Done(Box::new(Err(
                "the worker thread stopped".into(),
            )))),
        };
        if matches!(report, Some(Report::Done(_))) {
            self.busy = false;
        }
        report
    }
}

impl Drop for Worker {
    /// Closes the job channel and waits for the thread, so the store and the
    /// chain node it owns are released before the process goes on.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the worker's jobs may change: the space played, the roster, and
/// the agent that must play in the next round (one just enlisted).
struct WorkerState<'a> {
    space: &'a mut Space,
    roster: &'a mut Vec<Agent>,
    next_first: &'a mut Option<String>,
}

/// Where a job's progress goes while it runs: each streamed token (agent, piece), and an
/// interactive round after each stored step of moves.
pub struct Progress<'a> {
    pub on_token: &'a mut dyn FnMut(&str, &str),
    pub on_step: &'a mut dyn FnMut(&RoundRecord),
}

fn run(
    services: &Services,
    state: &mut WorkerState<'_>,
    job: Job,
    timings: &Timings,
    progress: &mut Progress<'_>,
) -> Result<Outcome> {
    let roster = &*state.roster;
    let space = &*state.space;
    Ok(match job {
        Job::UseSpace(new_space) => {
            *state.space = new_space;
            let space = &*state.space;
            let (closed, _) = services.history(&space.name)?;
            Outcome::Resumed {
                unfinished: services.unfinished(&space.name)?,
                closed,
            }
        }
        Job::Enlist(agent) => {
            if roster.iter().any(|a| a.id == agent.id) {
                return Ok(Outcome::Refused(format!(
                    "an agent with the id '{}' is already in the roster: choose another id",
                    agent.id
                )));
            }
            if let Err(e) = services.chain.owner(&agent.owner) {
                return Ok(Outcome::Refused(format!("agent '{}': {e:#}", agent.id)));
            }
            let id = agent.id.clone();
            state.roster.push(agent);
            state.roster.sort_by(|a, b| a.id.cmp(&b.id));
            *state.next_first = Some(id.clone());
            Outcome::Enlisted(id)
        }
        Job::Resume => {
            let (closed, _) = services.history(&space.name)?;
            Outcome::Resumed {
                unfinished: services.unfinished(&space.name)?,
                closed,
            }
        }
        Job::OpenNext => {
            let (_, played) = services.history(&space.name)?;
            let mut mmr = HashMap::new();
            for agent in roster {
                mmr.insert(
                    agent.id.clone(),
                    services.store.mmr(&space.name, &agent.id)?,
                );
            }
            let first = state.next_first.take();
            let chosen = matchmake(
                roster,
                space.agents_per_round,
                &mmr,
                &played,
                first.as_deref(),
            );
            Outcome::Opened(services.open_round(space, &chosen)?)
        }
        Job::Pay(mut round) => {
            services.ensure_open(space, &mut round)?;
            let paid = services.pay_entries(&mut round, roster)?;
            Outcome::Paid(round, paid)
        }
        Job::Generate(mut round) => {
            let answers = services.generate(space, &mut round, roster, progress)?;
            Outcome::Generated(round, answers)
        }
        Job::Judge(mut round) => {
            let answers = services.store.answers(round.id)?;
            let judgment = services.judge(space, &mut round, &answers)?;
            Outcome::Judged(round, Box::new(judgment))
        }
        Job::Settle(mut round) => {
            services.settle(&mut round)?;
            let payouts = services.payouts(&round)?;
            Outcome::Settled(round, payouts)
        }
        Job::Cancel(mut round) => {
            services.cancel(&mut round)?;
            Outcome::Cancelled(round)
        }
        Job::Summarize => Outcome::Summary(summarize(services, space, roster, timings)?),
    })
}

/// The job that continues a round from its stored status.
pub fn next_job_for(round: RoundRecord) -> Option<Job> {
    match round.status {
        RoundStatus::Open => Some(Job::Pay(round)),
        RoundStatus::EntriesPaid => Some(Job::Generate(round)),
        RoundStatus::Generated => Some(Job::Judge(round)),
        RoundStatus::Judged | RoundStatus::Settled => Some(Job::Settle(round)),
        RoundStatus::Closed | RoundStatus::Cancelled => None,
    }
}
