"""The main screen, in layers: pane layout, live feeds, operator actions, the screen itself."""
