//! The "Enter agent" form: a new agent's name, base model, system prompt,
//! sampling and owner account, validated by the same rules as agent files.
//! An accepted agent is saved to the data directory's agents folder (so
//! later runs know it) and joins the next round, whose entry fee its owner
//! pays on chain.

use agents::{Agent, Sampling};
use bevy_egui::egui;

use super::wallets::Wallets;
use super::{Gui, eth, short_address};
use crate::cli::tournament::entered_agents_dir;
use crate::tournament::engine::Tournament;

/// The models an agent can be built on.
const MODELS: [&str; 2] = ["smollm2-135m", "gemma3-270m"];

/// What the player has typed so far.
pub struct EnterForm {
    id: String,
    name: String,
    model: String,
    system_prompt: String,
    sampling: Sampling,
    owner: String,
    colour: egui::Color32,
    message: Option<Result<String, String>>,
}

impl Default for EnterForm {
    fn default() -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            model: MODELS[0].to_owned(),
            system_prompt: "Answer correctly and briefly.".to_owned(),
            sampling: Sampling {
                max_tokens: 48,
                ..Sampling::default()
            },
            owner: String::new(),
            colour: egui::Color32::from_rgb(0x4f, 0x8f, 0xdf),
            message: None,
        }
    }
}

impl EnterForm {
    /// Draws the form; on "Enter", validates and hands the agent to the engine.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        tournament: &mut Tournament,
        gui: &mut Gui,
        wallets: &Wallets,
    ) {
        egui::Grid::new("enter").num_columns(2).show(ui, |ui| {
            ui.label("id");
            ui.text_edit_singleline(&mut self.id);
            ui.end_row();
            ui.label("name");
            ui.text_edit_singleline(&mut self.name);
            ui.end_row();
            ui.label("base model");
            egui::ComboBox::from_id_salt("model")
                .selected_text(&self.model)
                .show_ui(ui, |ui| {
                    for m in MODELS {
                        ui.selectable_value(&mut self.model, m.to_owned(), m);
                    }
                });
            ui.end_row();
            ui.label("system prompt");
            ui.text_edit_multiline(&mut self.system_prompt);
            ui.end_row();
            ui.label("temperature");
            ui.add(egui::Slider::new(&mut self.sampling.temperature, 0.0..=2.0));
            ui.end_row();
            ui.label("top p");
            ui.add(egui::Slider::new(&mut self.sampling.top_p, 0.05..=1.0));
            ui.end_row();
            ui.label("top k");
            ui.add(egui::Slider::new(&mut self.sampling.top_k, 0..=200));
            ui.end_row();
            ui.label("repetition penalty");
            ui.add(egui::Slider::new(
                &mut self.sampling.repetition_penalty,
                1.0..=2.0,
            ));
            ui.end_row();
            ui.label("max tokens");
            ui.add(egui::Slider::new(&mut self.sampling.max_tokens, 1..=256));
            ui.end_row();
            ui.label("owner account");
            self.owner_choice(ui, wallets);
            ui.end_row();
            ui.label("avatar colour");
            ui.color_edit_button_srgba(&mut self.colour);
            ui.end_row();
            ui.label("fee tier");
            ui.add(
                egui::Label::new(format!(
                    "{}: {} per round (each space is one tier; pick it in Spaces)",
                    gui.space.name,
                    eth(gui.space.entry_fee().unwrap_or(0))
                ))
                .wrap(),
            );
            ui.end_row();
        });
        if ui.button("Enter the next round").clicked() {
            self.message = Some(self.submit(tournament, gui));
        }
        match &self.message {
            Some(Ok(text)) => {
                ui.colored_label(egui::Color32::LIGHT_GREEN, text);
            }
            Some(Err(text)) => {
                ui.colored_label(egui::Color32::LIGHT_RED, text);
            }
            None => {}
        }
    }

    fn owner_choice(&mut self, ui: &mut egui::Ui, wallets: &Wallets) {
        let snapshot = wallets.snapshot();
        let selected = if self.owner.is_empty() {
            "choose an account".to_owned()
        } else {
            short_address(&self.owner)
        };
        egui::ComboBox::from_id_salt("owner")
            .selected_text(selected)
            .show_ui(ui, |ui| {
                for account in &snapshot.accounts {
                    let address = account.address.to_string();
                    let label =
                        format!("{} ({})", short_address(&address), eth(account.wallet_wei));
                    ui.selectable_value(&mut self.owner, address, label);
                }
            });
    }

    /// The agent the form describes, checked; saved and handed to the engine.
    fn submit(&self, tournament: &mut Tournament, gui: &mut Gui) -> Result<String, String> {
        if self.owner.is_empty() {
            return Err("owner account: choose the account that pays the entry fee".into());
        }
        let [r, g, b, _] = self.colour.to_array();
        let agent = Agent {
            id: self.id.trim().to_owned(),
            name: self.name.trim().to_owned(),
            owner: self.owner.clone(),
            model: self.model.clone(),
            system_prompt: self.system_prompt.trim().to_owned(),
            avatar_colour: format!("#{r:02x}{g:02x}{b:02x}"),
            sampling: self.sampling.clone(),
            // The form offers the local models; served ones come from agent files.
            endpoint: None,
        };
        agent.validate().map_err(|e| e.to_string())?;
        if gui.agent(&agent.id).is_some() {
            return Err(format!(
                "id: an agent called '{}' already plays; choose another id",
                agent.id
            ));
        }
        save(gui, &agent)?;
        let message = format!(
            "'{}' enters the next round; {} pays {} when it opens",
            agent.name,
            short_address(&agent.owner),
            eth(gui.space.entry_fee().unwrap_or(0))
        );
        gui.roster.push(agent.clone());
        tournament.enlist(agent);
        Ok(message)
    }
}

/// Writes the agent's file into the data directory, whole or not at all.
fn save(gui: &Gui, agent: &Agent) -> Result<(), String> {
    let dir = entered_agents_dir(&gui.data_dir);
    let path = dir.join(format!("{}.toml", agent.id));
    let text = toml::to_string(agent).map_err(|e| format!("writing the agent file: {e}"))?;
    let partial = path.with_extension("toml.partial");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&partial, text))
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| format!("saving {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use alloy::primitives::Address;
    use bevy::app::App;
    use clap::Parser;

    use super::*;
    use crate::cli::gui::GuiArgs;
    use crate::tournament::engine::TournamentPlugin;

    /// Anvil's tenth account: no shipped agent uses it.
    const NEW_OWNER: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

    /// A player enters an agent through the form: bad input is refused with
    /// the field named, the accepted agent is saved, plays the next round
    /// (a real one: model, judge checks, anvil), its owner pays the fee and
    /// is credited what the round paid it.
    #[test]
    fn an_entered_agent_plays_pays_its_fee_and_is_paid() {
        let dir = tempfile::tempdir().unwrap();
        let agents = dir.path().join("agents");
        std::fs::create_dir_all(&agents).unwrap();
        for id in ["mathlete", "minimalist", "poet", "scholar"] {
            std::fs::copy(
                crate::assets_dir().join(format!("agents/{id}.toml")),
                agents.join(format!("{id}.toml")),
            )
            .unwrap();
        }
        let data = dir.path().join("data");
        let args = GuiArgs::try_parse_from([
            "gui",
            "--space",
            "arithmetic",
            "--agents",
            agents.to_str().unwrap(),
            "--judge",
            "none",
            "--max-tokens",
            "8",
        ])
        .unwrap();
        let prepared = crate::cli::tournament::prepare(
            &args.lineup,
            &args.play,
            agents::Fetcher::from_env(None),
            &data,
            usize::MAX,
        )
        .unwrap();
        let mut tournament = prepared.tournament;
        let mut gui = Gui {
            spaces: Vec::new(),
            space: prepared.space,
            roster: prepared.roster,
            data_dir: data.clone(),
            store: prepared.store,
            speed: 1.0,
        };

        let mut form = EnterForm {
            name: "The Counter".into(),
            system_prompt: "Reply with the final number only.".into(),
            owner: NEW_OWNER.into(),
            ..EnterForm::default()
        };
        let refused = form.submit(&mut tournament, &mut gui).unwrap_err();
        assert!(refused.contains("id"), "{refused}");
        form.id = "mathlete".into();
        let refused = form.submit(&mut tournament, &mut gui).unwrap_err();
        assert!(refused.contains("already plays"), "{refused}");
        form.id = "counter".into();
        form.submit(&mut tournament, &mut gui).unwrap();
        let saved = Agent::load(&data.join("agents/counter.toml")).unwrap();
        assert_eq!(saved.owner, NEW_OWNER);

        let chain = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let link = chain.block_on(prepared.chain_access.connect()).unwrap();
        let owner: Address = NEW_OWNER.parse().unwrap();
        let wallet_before = chain
            .block_on(link.operator.chain().balance(owner))
            .unwrap();

        tournament.paused = false;
        let mut app = App::new();
        app.add_plugins(TournamentPlugin)
            .insert_resource(tournament);
        let started = Instant::now();
        while app.world().resource::<Tournament>().closed < 1 {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "no round closed"
            );
            if let Some(Err(e)) = &*app.world().resource::<Tournament>().outcome.lock().unwrap() {
                panic!("the tournament stopped: {e}");
            }
            app.update();
            std::thread::sleep(Duration::from_millis(20));
        }
        let view = app.world().resource::<Tournament>().view.clone();
        let round = view.round.unwrap();
        assert!(
            round.agents.contains(&"counter".to_owned()),
            "{:?}",
            round.agents
        );
        assert!(
            round
                .transactions
                .iter()
                .any(|t| t.action == "enter counter")
        );

        let fee = gui.space.entry_fee().unwrap();
        let wallet_after = chain
            .block_on(link.operator.chain().balance(owner))
            .unwrap();
        assert!(
            wallet_before - wallet_after >= alloy::primitives::U256::from(fee),
            "the fee left the owner's wallet: {wallet_before} -> {wallet_after}"
        );
        let won: u128 = view
            .payouts
            .iter()
            .filter(|p| p.agent == "counter")
            .map(|p| p.wei)
            .sum();
        let owed = chain
            .block_on(link.operator.balance_of(contracts::NATIVE, owner))
            .unwrap();
        assert_eq!(
            owed,
            alloy::primitives::U256::from(won),
            "{:?}",
            view.payouts
        );
        assert_eq!(view.payouts.len(), gui.space.reward_split_bps.len());
    }
}
