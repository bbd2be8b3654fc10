"""The Activity screen: the trail of operator actions and scheduler events."""
