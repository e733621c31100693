"""The version of ticketcli, in a module of its own.

Modules inside the package import it from here, never from the root
package: ``ticketcli/__init__.py`` imports the Python API, which imports
nearly everything, so importing the root from inside would be a cycle.
"""

from __future__ import annotations

__version__ = "0.1.0"
