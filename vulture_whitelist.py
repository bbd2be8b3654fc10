"""Names vulture cannot see used: a framework, the standard library or the tests use them
by name. Read by vulture (``[tool.vulture]`` in pyproject.toml, tests/test_dead_code.py);
never imported. Each group says why its names are used, each line where the name is
defined."""
# ruff: noqa
# mypy: ignore-errors
# fmt: off

# standard-library and psycopg hooks set or overridden by name: argparse's formatter_class,
# textwrap options, a signal handler's frame argument, http.server options and log_message,
# io's writable(), psycopg's cursor_factory
_.formatter_class  # unused attribute (snapwatch/cli.py:161)
frame  # unused variable (snapwatch/cli.py:346)
_.initial_indent  # unused attribute (snapwatch/commands/status.py:486)
_.subsequent_indent  # unused attribute (snapwatch/commands/status.py:486)
_.writable  # unused method (snapwatch/inert.py:92)
_.cursor_factory  # unused attribute (snapwatch/infra/pooled.py:71)
_.log_message  # unused method (snapwatch/service/metrics.py:197)
daemon_threads  # unused variable (snapwatch/service/metrics.py:202)
allow_reuse_address  # unused variable (snapwatch/service/metrics.py:203)
address_family  # unused variable (snapwatch/service/metrics.py:207)

# snapwatch.demo.rows: columns of the demo rows, inserted by name
snapshot_cadence_hours  # unused variable (snapwatch/demo/rows.py:44)
snapshot_cadence_per_day  # unused variable (snapwatch/demo/rows.py:45)
last_wake_at  # unused variable (snapwatch/demo/rows.py:69)
latest_mgi_score  # unused variable (snapwatch/demo/rows.py:70)
latest_mgi_at  # unused variable (snapwatch/demo/rows.py:71)
completed_wake_count  # unused variable (snapwatch/demo/rows.py:85)
failed_wake_count  # unused variable (snapwatch/demo/rows.py:86)
extra_wake_count  # unused variable (snapwatch/demo/rows.py:87)
resolved_at  # unused variable (snapwatch/demo/rows.py:142)

# fields of rows read from the database (built by keyword from SELECT columns), shown or
# exported through asdict/JSON
sessions_locked  # unused variable (snapwatch/demo/simulator.py:117)
mgi_captured_at  # unused variable (snapwatch/inspection/view.py:86)
telemetry_captured_at  # unused variable (snapwatch/inspection/view.py:87)
telemetry_age_hours  # unused variable (snapwatch/readmodels/devices.py:95)
series_at  # unused variable (snapwatch/readmodels/devices.py:118)
scale  # unused variable (snapwatch/readmodels/devices.py:120)
has_open_session  # unused variable (snapwatch/readmodels/sites.py:40)
pause_id  # unused variable (snapwatch/schedule/actions.py:170)
resumed_at  # unused variable (snapwatch/schedule/actions.py:178)
resumed_by  # unused variable (snapwatch/schedule/actions.py:179)
username  # unused variable (snapwatch/schedule/pgcron.py:54)
last_end  # unused variable (snapwatch/schedule/pgcron.py:60)
last_pid  # unused variable (snapwatch/schedule/pgcron.py:64)
interval_seconds  # unused variable (snapwatch/schedule/pgcron.py:68)
run_details  # unused variable (snapwatch/schedule/pgcron.py:106)
STATE  # unused variable (snapwatch/tui/panes/sites_model.py:32)

# the history core: a column kept with the row it was read with (restore's replacement_id,
# a stored session's in_range), and a tally written as a backfill run's JSON detail
replacement_id  # unused variable (snapwatch/schedule/history/restore.py:63)
in_range  # unused variable (snapwatch/schedule/history/stored.py:92)
sites_total  # unused variable (snapwatch/schedule/history/runs.py:63)

# used only by tests: FixedClock.advance, pure helpers the tests check (slot_grid,
# interval_seconds, age_text), Scheduler.tick_now, and widget accessors the TUI tests read
_.advance  # unused method (snapwatch/infra/clock.py:125)
age_text  # unused function (snapwatch/readmodels/display.py:25)
slot_grid  # unused function (snapwatch/schedule/cadence.py:237)
interval_seconds  # unused function (snapwatch/schedule/pgcron_timing.py:185)
_.tick_now  # unused method (snapwatch/schedule/scheduler.py:210)
_.site_keys  # unused property (snapwatch/tui/panes/sites.py:46)
_.layout_plan  # unused property (snapwatch/tui/panes/table.py:83)
_.shown_text  # unused method (snapwatch/tui/panes/table.py:87)
_.document_tree  # unused property (snapwatch/tui/screens/inspect_tree.py:40)
_.document_tree  # unused property (snapwatch/tui/widgets/json_tree.py:265)
_.search_input  # unused property (snapwatch/tui/widgets/json_tree.py:269)

# pydantic and pydantic-settings by name: model_config, a model validator, the settings-
# source hooks and their fixed parameters
model_config  # unused variable (snapwatch/infra/config.py:40)
model_config  # unused variable (snapwatch/infra/config.py:119)
_._lows_below_highs  # unused method (snapwatch/infra/config.py:136)
model_config  # unused variable (snapwatch/infra/config.py:226)
_.get_field_value  # unused method (snapwatch/infra/config.py:262)
_.settings_customise_sources  # unused method (snapwatch/infra/config.py:304)
dotenv_settings  # unused variable (snapwatch/infra/config.py:310)
file_secret_settings  # unused variable (snapwatch/infra/config.py:311)
model_config  # unused variable (snapwatch/snapshot/model.py:42)

# snapwatch.infra.config: key-map fields, filled from the TOML file and read by the key map
# through model_dump() and model_fields (snapwatch.tui.keymap)
pause_all  # unused variable (snapwatch/infra/config.py:179)
freeze  # unused variable (snapwatch/infra/config.py:180)
quit  # unused variable (snapwatch/infra/config.py:188)
next_pane  # unused variable (snapwatch/infra/config.py:189)
previous_pane  # unused variable (snapwatch/infra/config.py:190)
pane_sites  # unused variable (snapwatch/infra/config.py:191)
pane_snapshots  # unused variable (snapwatch/infra/config.py:192)
pane_devices  # unused variable (snapwatch/infra/config.py:193)
pane_health  # unused variable (snapwatch/infra/config.py:194)
inspect_previous  # unused variable (snapwatch/infra/config.py:195)
inspect_next  # unused variable (snapwatch/infra/config.py:196)
inspect_first  # unused variable (snapwatch/infra/config.py:197)
inspect_last  # unused variable (snapwatch/infra/config.py:198)
inspect_previous_session  # unused variable (snapwatch/infra/config.py:199)
inspect_next_session  # unused variable (snapwatch/infra/config.py:202)
inspect_play  # unused variable (snapwatch/infra/config.py:205)
inspect_faster  # unused variable (snapwatch/infra/config.py:206)
inspect_slower  # unused variable (snapwatch/infra/config.py:207)
inspect_zones  # unused variable (snapwatch/infra/config.py:208)
inspect_diff  # unused variable (snapwatch/infra/config.py:209)
inspect_tree  # unused variable (snapwatch/infra/config.py:210)
inspect_chart  # unused variable (snapwatch/infra/config.py:211)
inspect_export  # unused variable (snapwatch/infra/config.py:212)
inspect_export_session  # unused variable (snapwatch/infra/config.py:213)
inspect_close  # unused variable (snapwatch/infra/config.py:216)
inspect_columns_left  # unused variable (snapwatch/infra/config.py:218)
inspect_columns_right  # unused variable (snapwatch/infra/config.py:221)
inspect_device  # unused variable (snapwatch/infra/config.py:224)
history_wider  # unused variable (snapwatch/infra/config.py:218)
history_narrower  # unused variable (snapwatch/infra/config.py:219)
history_dry_run  # unused variable (snapwatch/infra/config.py:220)
history_backfill  # unused variable (snapwatch/infra/config.py:221)
history_refresh  # unused variable (snapwatch/infra/config.py:222)
history_close  # unused variable (snapwatch/infra/config.py:223)
runs_open  # unused variable (snapwatch/infra/config.py:225)
runs_close  # unused variable (snapwatch/infra/config.py:226)
copy_document  # unused variable (snapwatch/infra/config.py:225)
export_csv  # unused variable (snapwatch/infra/config.py:226)
inspect_copy_id  # unused variable (snapwatch/infra/config.py:228)
inspect_copy_document  # unused variable (snapwatch/infra/config.py:229)
inspect_export_csv  # unused variable (snapwatch/infra/config.py:230)

# counters read by tests and benchmarks (table rebuilds, poller reads, connection attempts)
_.attempts  # unused attribute (snapwatch/infra/dbsession.py:80)
_.attempts  # unused attribute (snapwatch/infra/dbsession.py:112)
_.rebuilds  # unused attribute (snapwatch/tui/panes/table.py:68)
_.rebuilds  # unused attribute (snapwatch/tui/panes/table.py:178)
_.reads  # unused attribute (snapwatch/tui/poller.py:79)
_.reads  # unused attribute (snapwatch/tui/poller.py:135)

# snapwatch.snapshot.model: fields of the snapshot document, written as JSON (model_dump) and
# checked against its JSON schema
dimensions  # unused variable (snapwatch/snapshot/model.py:100)
data_freshness  # unused variable (snapwatch/snapshot/model.py:159)
data_freshness  # unused variable (snapwatch/snapshot/model.py:183)
mgi_velocity  # unused variable (snapwatch/snapshot/model.py:185)
previous_captured_at  # unused variable (snapwatch/snapshot/model.py:188)
speed_per_day  # unused variable (snapwatch/snapshot/model.py:191)
images_this_round  # unused variable (snapwatch/snapshot/model.py:239)
device_ids  # unused variable (snapwatch/snapshot/model.py:266)
devices_reporting  # unused variable (snapwatch/snapshot/model.py:310)
devices_carried_forward  # unused variable (snapwatch/snapshot/model.py:311)
devices_stale  # unused variable (snapwatch/snapshot/model.py:312)
devices_without_data  # unused variable (snapwatch/snapshot/model.py:313)
snapshot_metadata  # unused variable (snapwatch/snapshot/model.py:343)
site_metadata  # unused variable (snapwatch/snapshot/model.py:344)
program_context  # unused variable (snapwatch/snapshot/model.py:345)
environmental_zones  # unused variable (snapwatch/snapshot/model.py:348)

# Textual class variables, read by the framework: key bindings and CSS
CSS_PATH  # unused variable (snapwatch/tui/app.py:50)
BINDINGS  # unused variable (snapwatch/tui/panes/table.py:47)
BINDINGS  # unused variable (snapwatch/tui/screens/dialogs.py:28)
BINDINGS  # unused variable (snapwatch/tui/screens/dialogs.py:66)
BINDINGS  # unused variable (snapwatch/tui/screens/help.py:25)
BINDINGS  # unused variable (snapwatch/tui/screens/inspect.py:69)
DEFAULT_CSS  # unused variable (snapwatch/tui/screens/inspect.py:74)
BINDINGS  # unused variable (snapwatch/tui/screens/inspect_chart.py:29)
DEFAULT_CSS  # unused variable (snapwatch/tui/screens/inspect_chart.py:33)
BINDINGS  # unused variable (snapwatch/tui/screens/inspect_diff.py:25)
DEFAULT_CSS  # unused variable (snapwatch/tui/screens/inspect_diff.py:29)
BINDINGS  # unused variable (snapwatch/tui/screens/inspect_tree.py:18)
DEFAULT_CSS  # unused variable (snapwatch/tui/screens/inspect_tree.py:21)
BINDINGS  # unused variable (snapwatch/tui/screens/log.py:21)
BINDINGS  # unused variable (snapwatch/tui/screens/main.py:98)
DEFAULT_CSS  # unused variable (snapwatch/tui/widgets/json_tree.py:226)
BINDINGS  # unused variable (snapwatch/tui/widgets/json_tree.py:242)
DEFAULT_CSS  # unused variable (snapwatch/tui/widgets/mgi_chart.py:70)
DEFAULT_CSS  # unused variable (snapwatch/tui/widgets/site_map.py:71)

# Textual overrides (App.get_default_screen, Provider.discover, check_action; notify()'s
# markup argument), called by the framework with these names
_.get_default_screen  # unused method (snapwatch/tui/app.py:105)
markup  # unused variable (snapwatch/tui/base.py:47)
_.discover  # unused method (snapwatch/tui/palette.py:69)
_.check_action  # unused method (snapwatch/tui/widgets/json_tree.py:289)
parameters  # unused variable (snapwatch/tui/widgets/json_tree.py:289)

# Textual widget properties, set here and drawn by the framework
_.error_console  # unused attribute (snapwatch/tui/base.py:38)
_.border_title  # unused attribute (snapwatch/tui/panes/pane.py:19)
_.border_title  # unused attribute (snapwatch/tui/panes/pane.py:22)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect.py:118)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect.py:119)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect.py:148)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect.py:177)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect_diff.py:55)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect_diff.py:78)
_.border_subtitle  # unused attribute (snapwatch/tui/screens/inspect_diff.py:79)
_.border_title  # unused attribute (snapwatch/tui/screens/inspect_tree.py:33)
_.border_title  # unused attribute (snapwatch/tui/screens/log.py:38)
_.border_subtitle  # unused attribute (snapwatch/tui/screens/log.py:39)
_.allow_expand  # unused attribute (snapwatch/tui/widgets/json_tree.py:128)
_.border_subtitle  # unused attribute (snapwatch/tui/widgets/json_tree.py:325)
_.border_subtitle  # unused attribute (snapwatch/tui/widgets/json_tree.py:327)
_.border_subtitle  # unused attribute (snapwatch/tui/widgets/json_tree.py:330)
_.border_title  # unused attribute (snapwatch/tui/widgets/mgi_chart.py:93)
_.border_subtitle  # unused attribute (snapwatch/tui/widgets/mgi_chart.py:94)

# snapwatch.schedule.history.runs: the backfill's tally is stored as JSON (asdict) and read
# back by name
sites_total  # unused variable (snapwatch/schedule/history/runs.py:66)

# snapwatch.schedule.pauses: a pause row is read by name (class_row) and printed whole by
# status --json (dataclasses.asdict)
changed_at  # unused variable (snapwatch/schedule/pauses.py:35)
activity_filter  # unused variable (snapwatch/infra/config.py)
activity_close  # unused variable (snapwatch/infra/config.py)
