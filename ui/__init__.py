"""The app's page helpers: session state, shared resources, uploads, concept widgets, training widgets.

Pages in ``pages/`` only lay out; what they share lives here, and the numbers come from
``cnn_core``. Every page imports this package, so the first script a fresh server runs passes
through ``navigation.leave_legacy_pages_mode`` before anything else.
"""

from ui.navigation import leave_legacy_pages_mode

leave_legacy_pages_mode()
