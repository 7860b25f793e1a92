"""The shared page fixture: ``open_page(name, **state)`` gives a page's AppTest, not run yet."""

import pytest

from tests.support.apptest import page_test


@pytest.fixture
def open_page():
    """A factory of page AppTests (``tests.support.apptest.page_test``), for tests that take fixtures."""
    return page_test
