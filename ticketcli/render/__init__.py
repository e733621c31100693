"""Everything that turns store data into text for people and scripts."""
