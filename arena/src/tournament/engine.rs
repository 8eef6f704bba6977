//! The tournament engine as bevy ECS: a resource holding the round state
//! machine and a system that advances it whenever the worker finishes a
//! step. No rendering types: the headless runner and the GUI both add this
//! plugin and read [`Tournament`] to show progress.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use bevy::app::{App, AppExit, Plugin, Update};
use bevy::ecs::message::MessageWriter;
use bevy::ecs::resource::Resource;
use bevy::ecs::system::ResMut;
use judge::Judgment;
use judge::records::RoundRecord;

use agents::Agent;

use super::space::Space;
use super::worker::{Job, Outcome, Payout, Report, Worker, next_job_for};

/// Where the engine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading what an earlier run left unfinished.
    Resuming,
    /// Carrying out a player's request (enter an agent, change space).
    Requesting,
    /// Between rounds.
    Idle,
    Opening,
    PayingEntries,
    Generating,
    Judging,
    Settling,
    Cancelling,
    /// Building the final tables.
    Summarizing,
    /// Finished (see [`Tournament::outcome`]).
    Done,
}

/// What the current round looks like, for display.
#[derive(Debug, Clone, Default)]
pub struct RoundView {
    pub round: Option<RoundRecord>,
    /// Answers so far, streamed token by token.
    pub answers: BTreeMap<String, String>,
    pub judgment: Option<Judgment>,
    /// Rewards credited at settlement.
    pub payouts: Vec<Payout>,
}

/// The engine state: the round state machine and its worker.
#[derive(Resource)]
pub struct Tournament {
    pub phase: Phase,
    pub view: RoundView,
    /// Finished rounds of the space, and how many the run should reach.
    pub closed: usize,
    pub target: usize,
    /// Stop between steps (GUI), or advance one step (`step`).
    pub paused: bool,
    pub step: bool,
    /// Players' requests, carried out between steps, oldest first.
    requests: VecDeque<Job>,
    /// What became of the last request (or why it was refused).
    pub notice: Option<String>,
    /// Whether the app exits when the run is done (headless), or stays to
    /// show the outcome (GUI).
    pub exit_when_done: bool,
    /// The final summary, or the error that stopped the run; shared with
    /// whoever started the app, since running an app consumes it.
    pub outcome: Arc<Mutex<Option<Result<String, String>>>>,
    resume_queue: VecDeque<RoundRecord>,
    worker: Worker,
}

impl Tournament {
    /// A tournament that plays until the space has `target` finished rounds.
    pub fn new(mut worker: Worker, target: usize) -> Self {
        worker.send(Job::Resume);
        Self {
            phase: Phase::Resuming,
            view: RoundView::default(),
            closed: 0,
            target,
            paused: false,
            step: false,
            requests: VecDeque::new(),
            notice: None,
            exit_when_done: true,
            outcome: Arc::default(),
            resume_queue: VecDeque::new(),
            worker,
        }
    }

    fn finish(&mut self, outcome: Result<String, String>) {
        *self.outcome.lock().expect("outcome lock") = Some(outcome);
        self.phase = Phase::Done;
    }

    /// Adds `agent` to the roster before the next round, which it will play.
    pub fn enlist(&mut self, agent: Agent) {
        self.requests.push_back(Job::Enlist(agent));
    }

    /// Plays `space` from the next round on.
    pub fn use_space(&mut self, space: Space) {
        self.requests.push_back(Job::UseSpace(space));
    }

    /// Requests waiting for the current step to finish, described.
    pub fn pending_requests(&self) -> Vec<String> {
        self.requests
            .iter()
            .map(|job| match job {
                Job::Enlist(a) => format!("enter agent '{}'", a.id),
                Job::UseSpace(s) => format!("switch to space '{}'", s.name),
                other => other.kind().to_owned(),
            })
            .collect()
    }

    /// Whether the run ended well.
    pub fn succeeded(&self) -> bool {
        matches!(*self.outcome.lock().expect("outcome lock"), Some(Ok(_)))
    }

    fn on_report(&mut self, report: Report) {
        match report {
            Report::Token { agent, piece } => {
                self.view.answers.entry(agent).or_default().push_str(&piece)
            }
            // The step's moves are in the transcript now; the next step streams afresh.
            Report::Step(round) => {
                self.view.round = Some(*round);
                self.view.answers.clear();
            }
            Report::Done(done) => match *done {
                Err(e) => self.finish(Err(e)),
                Ok(outcome) => self.on_outcome(outcome),
            },
        }
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        let next = match outcome {
            Outcome::Resumed { unfinished, closed } => {
                self.closed = closed;
                self.resume_queue = unfinished.into();
                None
            }
            Outcome::Enlisted(id) => {
                self.notice = Some(format!("agent '{id}' entered: it plays the next round"));
                None
            }
            Outcome::Refused(reason) => {
                self.notice = Some(reason);
                None
            }
            Outcome::Opened(round) => Some(self.show(round, Job::Pay)),
            Outcome::Paid(round, true) => Some(self.show(round, Job::Generate)),
            Outcome::Paid(round, false) => Some(self.show(round, Job::Cancel)),
            Outcome::Generated(round, answers) => {
                self.view.answers = answers.into_iter().map(|a| (a.agent_id, a.text)).collect();
                Some(self.show(round, Job::Judge))
            }
            Outcome::Judged(round, judgment) => {
                self.view.judgment = Some(*judgment);
                Some(self.show(round, Job::Settle))
            }
            Outcome::Settled(round, payouts) => {
                self.closed += 1;
                self.view.round = Some(round);
                self.view.payouts = payouts;
                None
            }
            Outcome::Cancelled(round) => {
                self.view.round = Some(round);
                None
            }
            Outcome::Summary(text) => {
                self.finish(Ok(text));
                return;
            }
        };
        self.phase = match next {
            Some(job) => self.dispatch(job),
            None => Phase::Idle,
        };
    }

    fn show(&mut self, round: RoundRecord, job: fn(RoundRecord) -> Job) -> Job {
        if self.view.round.as_ref().is_none_or(|r| r.id != round.id) {
            self.view = RoundView::default();
        }
        self.view.round = Some(round.clone());
        job(round)
    }

    /// Sends `job` and returns the phase it puts the engine in.
    fn dispatch(&mut self, job: Job) -> Phase {
        let phase = match &job {
            Job::Resume => Phase::Resuming,
            Job::UseSpace(_) | Job::Enlist(_) => Phase::Requesting,
            Job::OpenNext => Phase::Opening,
            Job::Pay(_) => Phase::PayingEntries,
            Job::Generate(_) => Phase::Generating,
            Job::Judge(_) => Phase::Judging,
            Job::Settle(_) => Phase::Settling,
            Job::Cancel(_) => Phase::Cancelling,
            Job::Summarize => Phase::Summarizing,
        };
        self.worker.send(job);
        phase
    }

    /// Starts the next piece of work when the engine is idle: players'
    /// requests first (even when paused), then the next step.
    fn start_next(&mut self) {
        if self.phase != Phase::Idle {
            return;
        }
        if let Some(request) = self.requests.pop_front() {
            if matches!(request, Job::UseSpace(_)) {
                self.resume_queue.clear();
            }
            self.phase = self.dispatch(request);
            return;
        }
        if self.paused && !self.step {
            return;
        }
        self.step = false;
        let job = loop {
            match self.resume_queue.pop_front() {
                Some(round) => {
                    if let Some(job) = next_job_for(round) {
                        break job;
                    }
                }
                None if self.closed < self.target => break Job::OpenNext,
                None => break Job::Summarize,
            }
        };
        if let Job::Pay(r) | Job::Generate(r) | Job::Judge(r) | Job::Settle(r) = &job {
            self.view = RoundView {
                round: Some(r.clone()),
                ..RoundView::default()
            };
        }
        self.phase = self.dispatch(job);
    }
}

/// Advances the state machine: takes the worker's reports, then starts the next step.
pub fn drive_tournament(mut tournament: ResMut<Tournament>, mut exit: MessageWriter<AppExit>) {
    while let Some(report) = tournament.worker.try_recv() {
        tournament.on_report(report);
    }
    if tournament.phase == Phase::Done {
        if !tournament.exit_when_done {
            return;
        }
        exit.write(if tournament.succeeded() {
            AppExit::Success
        } else {
            AppExit::error()
        });
        return;
    }
    if !tournament.worker.busy() {
        tournament.start_next();
    }
}

/// Adds the engine's system; the app must insert a [`Tournament`].
pub struct TournamentPlugin;

impl Plugin for TournamentPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, drive_tournament);
    }
}
