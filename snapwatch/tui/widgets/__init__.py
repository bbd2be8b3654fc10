"""Widgets of the inspection screen: site map, document tree, MGI chart."""
