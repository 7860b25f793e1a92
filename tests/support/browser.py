"""Drive the running app in headless Chromium: wait until a page has settled, use widgets.

Shared by the browser tests, ``tools/screenshots.py`` and the browser benchmarks. A
script added to every page (``SETTLE_JS``) watches the page itself, so waiting costs nothing on
the server and the times it reports are taken in the browser, relative to the page's navigation
start. It watches

- the messages the server sends over the app's websocket, counted (with their bytes) and
  time-stamped: a widget change, a page switch or a rerun always brings some, so ``act`` knows
  its action was answered;
- the app's ``data-test-script-state`` attribute: the first run's start and end and the last
  run's end are kept (before the first run, the browser loads the app's code and connects);
  React may draw a short run's "running" and "notRunning" in one go, so this alone can miss one;
- elements added to, removed from or changed in the main area, time-stamped.

The page is *settled* when the script is not running, the connection is up, the main area shows
something, no element is stale or still a skeleton, and no spinner turns; its settle time is the
last change to any of these or the last message, and it must stay so for ``QUIET_S`` (some pages
rerun themselves).

Navigation inside one visitor's session must go through the sidebar (``open_page``): loading a
URL starts a new Streamlit session, with a new, empty ``st.session_state``.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox"]
QUIET_S = 1.0  # A page must stay settled this long: some pages rerun themselves once.
SETTLE_TIMEOUT_S = 120.0  # Pages that load Keras take 10-20 s on a cold server with a busy CPU.
ANSWER_S = 10.0  # A widget change the server has not answered by then was lost and is made again.

SETTLE_JS = """
(() => {
  if (window.__cnnlab) return;
  const state = window.__cnnlab = {messages: 0, bytes: 0, lastChange: 0, settledSince: null, firstRun: null,
                                   firstRunEnd: null, lastRunEnd: null};
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', event => {
        state.messages += 1;
        state.bytes += event.data.byteLength || event.data.size || event.data.length || 0;
        state.lastChange = performance.now();
      });
    }
  };
  const MAIN = '[data-testid="stMain"]';
  new MutationObserver(records => {
    const now = performance.now();
    for (const record of records) {
      if (record.type !== 'attributes') {
        const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        if (target && target.closest(MAIN)) state.lastChange = now;
        continue;
      }
      const value = record.target.getAttribute('data-test-script-state');
      if (value === record.oldValue) continue;
      state.lastChange = now;
      if (state.firstRun === null && value !== 'initial') state.firstRun = now;
      if (value === 'notRunning') state.lastRunEnd = now;
      if (state.firstRunEnd === null && value === 'notRunning') state.firstRunEnd = now;
    }
  }).observe(document, {attributes: true, subtree: true, childList: true, characterData: true,
                        attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  const settledNow = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector(MAIN);
    return Boolean(app && main
      && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && main.querySelector('[data-testid="stElementContainer"]')
      && !main.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')
      && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'));
  };
  state.update = () => {
    if (!settledNow()) { state.settledSince = null; return; }
    if (state.settledSince === null) state.settledSince = performance.now();
    state.settledSince = Math.max(state.settledSince, state.lastChange);
  };
  setInterval(state.update, 50);
})();
"""

# What Read my digit answers: a sure reading's metric, no ink, or the reader's "not a digit" / "not sure".
DIGIT_ANSWERS = ("The model reads", "No digit found", "does not look like a digit", "Not sure")


def _literal(node: ast.expr) -> str:
    """The string of ``"Title"`` or of ``_("Title")`` (a translated title reads English here)."""
    return node.args[0].value if isinstance(node, ast.Call) else node.value


def app_pages() -> list[tuple[str, str]]:
    """(script path, sidebar title) of every ``st.Page("path", title=...)`` of the app's menu, in order."""
    tree = ast.parse((ROOT / "ui" / "menu.py").read_text(encoding="utf-8"))
    calls = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call)), key=lambda node: (node.lineno, node.col_offset)
    )
    pages = []
    for call in calls:
        if getattr(call.func, "attr", getattr(call.func, "id", None)) == "Page":
            script = call.args[0].value
            title = next((_literal(k.value) for k in call.keywords if k.arg == "title"), None)
            pages.append((script, title or Path(script).stem.replace("_", " ")))
    return pages


def page_url(base_url: str, script: str) -> str:
    """The URL of a page: Streamlit names it after the script's file name.

    >>> page_url("http://127.0.0.1:8000", "pages/read_me.py")
    'http://127.0.0.1:8000/read_me'
    """
    return f"{base_url}/{Path(script).stem}"


def launch_chromium(playwright):
    """Headless Debian Chromium with a fake camera that needs no permission prompt."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_tab(browser, width: int = 1400, height: int = 1000, **context_options):
    """A page in a fresh browser context (a separate visitor), watching Streamlit's state.

    Uncaught JavaScript errors collect in ``page.js_errors``.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, permissions=["camera"], **context_options
    )
    context.add_init_script(SETTLE_JS)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def page_state(page) -> dict:
    """The watcher's state: messages and bytes received (ints); lastChange, settledSince, firstRun,
    firstRunEnd, lastRunEnd (ms after navigation, or None)."""
    return page.evaluate("""() => {
      const state = window.__cnnlab;
      if (!state) return {messages: 0, settledSince: null, now: performance.now()};
      state.update();
      const {update, ...values} = state;
      return {...values, now: performance.now()};
    }""")


def settled_at(page, after_messages: int | None = None, quiet_s: float = QUIET_S) -> float | None:
    """When the page settled (ms after navigation) if it has stayed so ``quiet_s``; else None.

    With ``after_messages``, a settle only counts once the server sent more messages than that.
    """
    from playwright.sync_api import Error as PlaywrightError

    try:
        state = page_state(page)
    except PlaywrightError:  # The page is between two documents (a navigation is under way).
        return None
    since = state.get("settledSince")
    if since is None or state["now"] - since < quiet_s * 1000:
        return None
    if after_messages is not None and state["messages"] <= after_messages:
        return None
    return since


def wait_settled(
    page, after_messages: int | None = None, timeout_s: float = SETTLE_TIMEOUT_S, quiet_s: float = QUIET_S
) -> float:
    """Wait until the page has settled (see ``settled_at``); returns when it did, in ms after navigation."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        since = settled_at(page, after_messages, quiet_s)
        if since is not None:
            return since
        time.sleep(0.1)
    raise TimeoutError(f"{page.url} did not settle within {timeout_s:.0f} s: {describe(page)}")


DESCRIBE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const count = selector => main ? main.querySelectorAll(selector).length : 0;
  return {script: app && app.getAttribute('data-test-script-state'),
          connection: app && app.getAttribute('data-test-connection-state'),
          elements: count('[data-testid="stElementContainer"]'), skeletons: count('[data-testid="stSkeleton"]'),
          stale: count('[data-stale="true"]'),
          spinners: document.querySelectorAll('[data-testid="stStatusWidgetRunningIcon"]').length,
          messages: window.__cnnlab ? window.__cnnlab.messages : null,
          lastChange: window.__cnnlab ? window.__cnnlab.lastChange : null, now: performance.now()};
}
"""


def describe(page) -> dict:
    """What the settle check sees on the page now, for error messages."""
    return page.evaluate(DESCRIBE_JS)


def messages(page) -> int:
    """How many messages the server has sent this page so far."""
    return int(page_state(page)["messages"])


def act(page, action, timeout_s: float = SETTLE_TIMEOUT_S, repeatable: bool = False) -> float:
    """Do ``action()`` (a widget change), then wait for the server's answer and for the page to settle.

    A ``repeatable`` action (choosing a radio option, typing a number) is made again if the server
    has not answered within ``ANSWER_S``: an event that lands while the widget redraws can be lost.
    """
    before = messages(page)
    action()
    while repeatable:
        deadline = time.monotonic() + ANSWER_S
        while messages(page) <= before and time.monotonic() < deadline:
            time.sleep(0.1)
        if messages(page) > before:
            break
        action()
    return wait_settled(page, after_messages=before, timeout_s=timeout_s)


def open_app(page, base_url: str, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Load the app's home page (a new session); returns its render time in ms."""
    page.goto(base_url, wait_until="commit")
    return wait_settled(page, timeout_s=timeout_s)


def open_page(page, title: str, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Go to a page through the sidebar, in the same session; returns ms from the click to settled."""
    clicked = click_sidebar_link(page, title)
    # The new page's title is proof that its script ran; settling comes after that change.
    wait_main_title(page, title, timeout_s)
    return wait_settled(page, timeout_s=timeout_s) - clicked


CLICK_LINK_JS = r"""
title => {
  const links = [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')];
  const link = links.find(a => a.innerText.trim().split('\n').pop().trim() === title);
  if (!link) return null;
  link.click();
  return performance.now();
}
"""


def click_sidebar_link(page, title: str) -> float:
    """Click the sidebar's link to the page titled ``title``; returns when, in ms after navigation."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()  # The sidebar folds long page lists behind "View N more".
    # Found and clicked in one step inside the page, so a sidebar redrawn meanwhile cannot swallow it.
    clicked = page.evaluate(CLICK_LINK_JS, title)
    if clicked is None:
        raise LookupError(f"no sidebar link titled {title!r} on {page.url}")
    return clicked


def wait_main_title(page, title: str, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    """Wait until the main area's first heading reads ``title`` (the page has switched)."""
    page.locator('[data-testid="stMain"] h1').filter(has_text=title).first.wait_for(timeout=timeout_s * 1000)


# --- widgets, found by their label -----------------------------------------------------------------


def widget(page, testid: str, label: str):
    """The first widget of a kind (its data-testid, e.g. "stRadio") whose label contains ``label``."""
    label_part = page.locator('[data-testid="stWidgetLabel"]').filter(has_text=label)
    found = page.locator(f'[data-testid="{testid}"]').filter(has=label_part)
    if not found.count():
        raise LookupError(f"no {testid} labelled {label!r} on {page.url}")
    return found.first


def choose_radio(page, label: str, option: str) -> float:
    """Pick ``option`` of the radio labelled ``label``; waits for the rerun when it changed."""
    choice = widget(page, "stRadio", label).locator("label").filter(has=page.get_by_text(option, exact=True)).first
    if choice.locator("input").is_checked():
        return wait_settled(page)
    return act(page, choice.click, repeatable=True)


def set_number(page, label: str, value) -> float:
    """Type ``value`` into the number input labelled ``label`` and commit it; waits for the rerun when it changed."""
    field = widget(page, "stNumberInput", label).locator("input")
    if float(field.input_value().replace(",", "")) == float(value):
        return wait_settled(page)

    def type_value():
        field.fill(str(value))
        field.press("Enter")

    return act(page, type_value, repeatable=True)


def select_options(page, label: str) -> list[str]:
    """The option texts of the selectbox labelled ``label`` (opens and closes its list)."""
    widget(page, "stSelectbox", label).locator('[role="combobox"]').click()
    options = page.get_by_role("option")
    options.first.wait_for()
    texts = [text.strip() for text in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def selected_option(page, label: str) -> str:
    """The option the selectbox labelled ``label`` shows now."""
    return widget(page, "stSelectbox", label).locator('[role="combobox"]').input_value()


def choose_option(page, label: str, option: str, attempts: int = 3) -> float:
    """Pick ``option`` in the selectbox labelled ``label``; waits for the rerun when it changed."""
    if selected_option(page, label) == option:
        return wait_settled(page)
    before = messages(page)
    for _ in range(attempts):
        widget(page, "stSelectbox", label).locator('[role="combobox"]').click()
        page.get_by_role("option").filter(has_text=option).first.click()
        # A click that lands while the list is still opening can be lost: look, then try again.
        deadline = time.monotonic() + 5
        while selected_option(page, label) != option and time.monotonic() < deadline:
            time.sleep(0.1)
        if selected_option(page, label) == option:
            return wait_settled(page, after_messages=before)
    raise LookupError(
        f"could not pick {option!r} in the selectbox {label!r}; it shows {selected_option(page, label)!r}"
    )


def click_button(page, name: str, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Click the button named ``name``; waits for the rerun."""
    button = page.get_by_role("button", name=name).first
    return act(page, button.click, timeout_s)


def main_text(page) -> str:
    """All text of the main area."""
    return page.locator('[data-testid="stMain"]').inner_text()


def problems(page) -> list[str]:
    """Exception boxes, st.error messages and uncaught JavaScript errors on the page, in words."""
    found = [f"exception: {box.inner_text()[:600]}" for box in page.locator('[data-testid="stException"]').all()]
    found += [
        f"st.error: {box.inner_text()[:300]}" for box in page.locator('[data-testid="stAlertContentError"]').all()
    ]
    found += [f"JavaScript error: {error}" for error in page.js_errors if "ResizeObserver loop" not in error]
    return found


# --- the Train on MNIST page ------------------------------------------------------------------------


def set_up_mnist_training(page, subset: int, epochs: int = 1, optimizer: str = "rmsprop") -> None:
    """On the Train on MNIST page: train on the first ``subset`` digits with these settings."""
    choose_radio(page, "Training data", "A subset (quicker)")
    set_number(page, "Subset size", subset)
    set_number(page, "Epochs", epochs)
    choose_option(page, "Optimizer", optimizer)


def press_start_training(page) -> None:
    """Click "Start training" without waiting: the run trains in the server's background."""
    page.get_by_role("button", name="Start training").click()


def wait_training_started(page, timeout_s: float = 120.0) -> None:
    """Wait until the page shows this session's run (its progress bar) or an error."""
    shown = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    shown.or_(page.locator('[data-testid="stAlertContentError"]')).first.wait_for(timeout=timeout_s * 1000)


def wait_training_done(page, timeout_s: float = 300.0) -> float:
    """Wait until the training page shows its results (or a failure) and has settled."""
    done = page.locator('[data-testid="stMain"] h2').filter(has_text="Results")
    done.or_(page.locator('[data-testid="stAlertContentError"]')).first.wait_for(timeout=timeout_s * 1000)
    return wait_settled(page, timeout_s=timeout_s)


def chart_traces(page) -> list[tuple[str, int]]:
    """(name, number of points) of each trace of the first plotly chart in the main area."""
    return [
        tuple(item)
        for item in page.evaluate(
            """() => {
          const plot = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
          return plot && plot.data ? plot.data.map(trace => [trace.name || '', (trace.x || []).length]) : [];
        }"""
        )
    ]
