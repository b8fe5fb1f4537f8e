//! The work in flight. Every effect the app issues is recorded as a job (`in_flight`) until
//! the runner delivers the job's final message, tagged with its id; the header shows
//! "working" while any job is in flight ([`App::any_work_pending`]). Nothing counts by hand:
//! a progress report ends no job, and a message ends only the job it answers.

use super::app::App;
use super::msg::{Effect, Job, JobId, JobKind, Msg};
use crossterm::event::Event;

impl App {
    /// Whether any effect the app issued is still being carried out.
    pub fn any_work_pending(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Records effects as jobs in flight (`Quit` is none: it ends the console).
    fn issue(&mut self, effects: Vec<Effect>) -> Vec<Job> {
        effects
            .into_iter()
            .map(|effect| {
                let id = JobId(self.next_job);
                if let Some(kind) = JobKind::of(&effect) {
                    self.next_job += 1;
                    self.in_flight.insert(id, kind);
                }
                Job { id, effect }
            })
            .collect()
    }

    /// The runner's entry for a terminal event: the jobs to carry out.
    pub fn event_jobs(&mut self, event: &Event) -> Vec<Job> {
        let effects = self.event_effects(event);
        self.issue(effects)
    }

    /// The runner's entry for a message: `job` is the job it ends (the runner tags only the
    /// final message of a job). Returns the jobs to carry out.
    pub fn msg_jobs(&mut self, job: Option<JobId>, msg: Msg) -> Vec<Job> {
        if let Some(id) = job {
            self.in_flight.remove(&id);
        }
        let effects = self.msg_effects(msg);
        self.issue(effects)
    }

    /// Handles a terminal event; the effects it returns are in flight until answered.
    pub fn on_event(&mut self, event: &Event) -> Vec<Effect> {
        effects(self.event_jobs(event))
    }

    /// Handles an untagged message, for callers that carry out effects themselves (tests,
    /// with `tui::perform`): a final message ends the oldest job in flight.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        let job = msg
            .is_final()
            .then(|| self.in_flight.keys().next().copied())
            .flatten();
        effects(self.msg_jobs(job, msg))
    }
}

fn effects(jobs: Vec<Job>) -> Vec<Effect> {
    jobs.into_iter().map(|j| j.effect).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::msg::FIRST_LOAD;
    use crate::tui::theme::Theme;

    fn app() -> App {
        let mut app = App::new(Theme::monochrome(), (80, 24), false);
        app.in_flight.clear();
        app
    }

    fn progress(done: usize) -> Msg {
        Msg::PresetProgress(crate::backend::PresetProgress {
            message: format!("seeding {done}"),
            done,
            total: 3,
        })
    }

    #[test]
    fn the_first_load_is_in_flight_from_the_start() {
        let app = App::new(Theme::monochrome(), (80, 24), false);
        assert!(app.any_work_pending());
        assert_eq!(
            app.in_flight.keys().copied().collect::<Vec<_>>(),
            [FIRST_LOAD]
        );
    }

    #[test]
    fn progress_reports_leave_a_preset_application_in_flight() {
        let mut app = app();
        let jobs = app.issue(vec![Effect::PresetApply("mage".into())]);
        let [Job { id, .. }] = jobs.as_slice() else {
            panic!("{jobs:?}")
        };
        for done in 1..=3 {
            assert!(app.msg_jobs(None, progress(done)).is_empty());
            assert!(app.any_work_pending(), "progress {done}");
        }
        let reload = app.msg_jobs(Some(*id), Msg::PresetApplied(Default::default()));
        assert_eq!(effects(reload.clone()), vec![Effect::Load]);
        assert!(app.any_work_pending(), "the reload");
        app.msg_jobs(Some(reload[0].id), Msg::Failed("gone".into()));
        assert!(!app.any_work_pending());
    }

    #[test]
    fn ending_one_of_two_jobs_keeps_working_on() {
        let mut app = app();
        let jobs = app.issue(vec![
            Effect::WhatCan(crate::model::Id::nil()),
            Effect::Load,
            Effect::Quit,
        ]);
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        assert_eq!(app.in_flight.len(), 2, "Quit is no job");
        assert_ne!(ids[0], ids[1]);
        // The second ends first, and its answer comes twice: the first is still in flight.
        app.msg_jobs(Some(ids[1]), Msg::Failed("cannot load".into()));
        app.msg_jobs(Some(ids[1]), Msg::Failed("cannot load".into()));
        assert!(app.any_work_pending());
        assert_eq!(app.in_flight.get(&ids[0]), Some(&JobKind::Question));
        app.msg_jobs(
            Some(ids[0]),
            Msg::Effective(crate::model::Id::nil(), Err("no".into())),
        );
        assert!(!app.any_work_pending());
    }
}
