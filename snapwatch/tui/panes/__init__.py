"""The four live panes: sites, recent snapshots, devices of the selected site, job health."""
