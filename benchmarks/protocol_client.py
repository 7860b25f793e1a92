"""A protocol-level Streamlit client: what one browser tab says to ``/_stcore/stream``, without a browser.

Used by ``benchmarks/classroom.py``. It speaks Streamlit 1.67's websocket protocol the way the
frontend does (checked against Chromium's frames on this app):

1. Connect ``ws://host:port/_stcore/stream`` with the subprotocol ``streamlit``. The second entry
   of that header would carry an XSRF token, which the server only checks before reading an auth
   cookie; this app has no login, so none is sent.
2. Every script run is asked for with a ``BackMsg.rerun_script`` (a ``ClientState``): the first
   with the page's URL name (``page_name``), later page switches with the ``page_script_hash``
   from the ``navigation`` message and empty ``widget_states`` (a page switch drops the old page's
   widgets), widget changes with the current page's hash and the values of all its widgets, one
   changed. A button press is a ``trigger_value``.
3. The server answers with ``new_session`` (one per run), deltas and ``script_finished``. A run
   that ends in ``st.rerun()`` finishes ``FINISHED_EARLY_FOR_RERUN`` and the next one follows, so a
   page run ends at ``FINISHED_SUCCESSFULLY`` after a full run's ``new_session``.
4. The frontend's ForwardMsg cache: elements of 10 kB or more come marked ``cacheable``; the
   client keeps them and lists their hashes in ``cached_message_hashes`` with each rerun, and the
   server then sends those elements as a short ``ref_hash``. Entries expire after
   ``max_cached_message_age`` (2) successful runs without use, as in the browser.
5. A fragment with ``run_every`` sends ``auto_rerun``; the client then asks for a fragment rerun
   (``fragment_id``, ``is_auto_rerun``) at that interval until the next full run, like the browser.
6. A file upload (``upload``) goes as the frontend's does: a ``BackMsg.file_urls_request`` for the
   file's name, answered by a ``file_urls_response`` with the file's id and upload URL; then an HTTP
   PUT of a multipart form with one ``file`` part to that URL (``/_stcore/upload_file/<session>/<file>``),
   with the XSRF token the server checks on uploads (double submit: the ``_streamlit_xsrf`` cookie
   and the ``X-Xsrftoken`` header carry the same token, made here); then a rerun whose
   ``file_uploader_state_value`` names the uploaded file.

Bytes are counted twice: the ForwardMsg payloads, and what arrived on the TCP socket (websocket
framing, and compression had the server agreed to it; Streamlit's default is off). Images
(``st.image``) are fetched over HTTP like a browser and counted apart. Static files are not
fetched: a browser loads them once per visit, not per run.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.request
import uuid
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileURLsRequest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

FINISHED = ForwardMsg.FINISHED_SUCCESSFULLY
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FRAGMENT_FINISHED = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
RUN_TIMEOUT_S = 900.0  # Sixty sessions queueing behind one interpreter can take minutes.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # The server is local.
WIDGET_KINDS = ("slider", "number_input", "radio", "selectbox", "checkbox", "button", "file_uploader")


@dataclass
class PageRun:
    """One timed script run, from the rerun request sent to ``script_finished`` received."""

    what: str  # "open" or "change"
    page: str
    session: str  # The server's session id, to match the run with the server's log.
    started: float  # Wall-clock time the request was sent (s since the epoch).
    seconds: float
    payload_bytes: int
    wire_bytes: int
    messages: int
    refs: int  # Elements the server sent as a ``ref_hash`` because this client had them cached.
    ref_saved_bytes: int  # Payload bytes those references stood for.
    media_bytes: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Widget:
    """A widget element of the current page, as its last delta described it."""

    id: str
    kind: str
    proto: object
    fragment_id: str

    def matches(self, name: str) -> bool:
        """True for the widget's key (ids end in ``-<key>``) or its label."""
        return self.id.endswith(f"-{name}") or getattr(self.proto, "label", None) == name


class MessageCache:
    """The frontend's ForwardMsgCache: cacheable messages by hash, expired by age in runs."""

    def __init__(self):
        self.messages: dict[str, tuple[ForwardMsg, int, str]] = {}  # hash -> (msg, run count, fragment)
        self.run_count = 0

    def process(self, msg: ForwardMsg) -> ForwardMsg | None:
        """The message itself, the cached one a ``ref_hash`` points to, or None on a miss."""
        if msg.WhichOneof("type") == "ref_hash":
            entry = self.messages.get(msg.ref_hash)
            if entry is None:
                return None
            self.messages[msg.ref_hash] = (entry[0], self.run_count, entry[2])
            return entry[0]
        if msg.metadata.cacheable and msg.hash:
            old = self.messages.get(msg.hash)
            fragment = old[2] if old else (msg.delta.fragment_id if msg.HasField("delta") else "")
            self.messages[msg.hash] = (old[0] if old else msg, self.run_count, fragment)
        return msg

    def end_run(self, max_age: int, fragment_ids: list[str]) -> None:
        """Count a finished run and drop entries unused for more than ``max_age`` runs."""
        self.run_count += 1
        for key, (_, count, fragment) in list(self.messages.items()):
            if fragment_ids and fragment not in fragment_ids:
                continue  # A fragment run only ages that fragment's elements.
            if self.run_count - count > max_age:
                del self.messages[key]


class CountingConnection(ClientConnection):
    """A websocket connection that counts the bytes arriving on its socket."""

    received = 0

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        super().data_received(data)


class StreamlitClient:
    """One visitor's session over the websocket; page opens and widget changes are timed runs."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.ws: CountingConnection | None = None
        self.cache = MessageCache()
        self.pages: dict[str, tuple[str, str]] = {}  # title -> (page_script_hash, url_pathname)
        self.page_hash, self.page_title = "", ""
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, WidgetState] = {}
        self.texts: dict[str, str] = {}  # Progress bars and alerts of the page, by delta path.
        self.compression = None
        self.session_id = ""
        self._max_age = 2
        self._seen_new_session = False
        self._auto_reruns: dict[str, asyncio.Task] = {}
        self._run: dict | None = None  # The run being waited for: counters and its future.
        self._reader: asyncio.Task | None = None
        self._file_urls: dict[str, asyncio.Future] = {}  # request id -> its file_urls_response
        self.xsrf_token = xsrf_token()  # What a browser would have in its _streamlit_xsrf cookie.

    # Connecting -----------------------------------------------------------------------------------

    async def connect(self) -> float:
        """Open the websocket; returns the seconds it took."""
        start = time.perf_counter()
        url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        self.ws = await connect(
            url,
            subprotocols=["streamlit"],
            origin=self.base_url,
            max_size=None,
            ping_interval=None,
            proxy=None,
            open_timeout=RUN_TIMEOUT_S,
            create_connection=CountingConnection,
        )
        self.compression = self.ws.response.headers.get("Sec-WebSocket-Extensions")
        self._reader = asyncio.create_task(self._read())
        return time.perf_counter() - start

    async def close(self) -> None:
        """Stop the auto-reruns and close the websocket."""
        for task in self._auto_reruns.values():
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # Timed runs -----------------------------------------------------------------------------------

    async def open_page(self, title: str, url_name: str | None = None) -> PageRun:
        """Open a page: by its URL name on the first run (a fresh tab), then as a sidebar click would.

        ``url_name`` is the page's path (``stride`` for /stride), needed only on the first run; the
        default is the lower-case title, and "" for Home.
        """
        state = ClientState()
        if not self.pages:
            state.page_name = url_name if url_name is not None else ("" if title == "Home" else title.lower())
        else:
            state.page_script_hash = self.pages[title][0]
        self.page_title = title
        self.values.clear()  # The browser drops the old page's widget values on a page switch.
        return await self._timed("open", title, state)

    async def change_widget(self, name: str, value) -> PageRun:
        """Set one widget (by key or label) to ``value`` and rerun the page, as a user's change does."""
        widget = self.widget(name)
        self.values[widget.id] = widget_state(widget, value)
        return await self._timed("change", self.page_title, self._widget_client_state(widget.fragment_id))

    async def press(self, name: str) -> PageRun:
        """Click a button (by key or label): a trigger value, inside its fragment if it has one."""
        widget = self.widget(name)
        state = self._widget_client_state(widget.fragment_id)
        trigger = state.widget_states.widgets.add()
        trigger.id, trigger.trigger_value = widget.id, True
        return await self._timed("change", self.page_title, state)

    async def rerun(self) -> PageRun:
        """Rerun the current page with its widgets' values as they are (the browser's "Rerun")."""
        return await self._timed("change", self.page_title, self._widget_client_state())

    async def upload(self, name: str, filename: str, data: bytes, content_type: str = "application/zip") -> PageRun:
        """Put ``data`` into a file uploader (by key or label) as a browser's file drop does; a timed rerun.

        The upload itself (the URL request and the HTTP PUT) is not in the run's time or bytes.
        """
        widget = self.widget(name)
        urls = (await self.request_file_urls([filename]))[0]
        url = urls.upload_url if "://" in urls.upload_url else self.base_url + urls.upload_url
        await asyncio.to_thread(self._put_file, url, filename, data, content_type)
        state = WidgetState(id=widget.id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, filename, len(data)
        info.file_urls.CopyFrom(urls)
        self.values[widget.id] = state
        return await self._timed("change", self.page_title, self._widget_client_state(widget.fragment_id))

    async def request_file_urls(self, file_names: list[str]) -> list:
        """The server's ``FileURLs`` (file id, upload and delete URL) for each file name, in order."""
        request_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._file_urls[request_id] = future
        request = FileURLsRequest(request_id=request_id, file_names=file_names, session_id=self.session_id)
        try:
            await self.ws.send(BackMsg(file_urls_request=request).SerializeToString())
            response = await asyncio.wait_for(future, RUN_TIMEOUT_S)
        finally:
            self._file_urls.pop(request_id, None)
        if response.error_msg:
            raise RuntimeError(f"file_urls_request refused: {response.error_msg}")
        return list(response.file_urls)

    def _put_file(self, url: str, filename: str, data: bytes, content_type: str) -> None:
        body, boundary = multipart_file(filename, data, content_type)
        request = urllib.request.Request(
            url,
            data=body,
            method="PUT",
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-Xsrftoken": self.xsrf_token,
                "Cookie": f"_streamlit_xsrf={self.xsrf_token}",
                "Origin": self.base_url,
            },
        )
        with NO_PROXY.open(request, timeout=RUN_TIMEOUT_S) as response:
            if response.status not in (200, 204):
                raise RuntimeError(f"upload of {filename} answered {response.status}")

    def widget(self, name: str) -> Widget:
        """The current page's widget with this key or label."""
        found = [w for w in self.widgets.values() if w.matches(name)]
        if not found:
            raise LookupError(f"no widget {name!r} on {self.page_title}; found {sorted(self.widgets)}")
        return found[0]

    def _widget_client_state(self, fragment_id: str = "") -> ClientState:
        state = ClientState(page_script_hash=self.page_hash, fragment_id=fragment_id)
        state.widget_states.widgets.extend(self.values.values())
        return state

    async def _timed(self, what: str, page: str, state: ClientState) -> PageRun:
        """Send a rerun and wait for its run's successful ``script_finished``."""
        loop = asyncio.get_running_loop()
        # A widget inside a fragment reruns only that fragment, which ends in its own status.
        self._run = {
            "done": loop.create_future(),
            "fragment": state.fragment_id,
            "payload": 0,
            "messages": 0,
            "refs": 0,
            "saved": 0,
            "errors": [],
            "media": [],
            "new_session": False,
        }
        wire_before, started = self.ws.received, time.time()
        start = time.perf_counter()
        await self._send(state)
        await asyncio.wait_for(self._run["done"], RUN_TIMEOUT_S)
        seconds = time.perf_counter() - start
        run, self._run = self._run, None
        media = sum(await asyncio.gather(*(asyncio.to_thread(self._fetch, url) for url in run["media"])))
        return PageRun(
            what,
            page,
            self.session_id,
            started,
            seconds,
            run["payload"],
            self.ws.received - wire_before,
            run["messages"],
            run["refs"],
            run["saved"],
            media,
            run["errors"],
        )

    async def _send(self, state: ClientState) -> None:
        state.cached_message_hashes.extend(self.cache.messages)
        # What Chromium sends here; the page's URL does not change what the server runs.
        state.context_info.timezone, state.context_info.locale = "UTC", "en-US"
        state.context_info.url = f"{self.base_url}/{self.pages.get(self.page_title, ('', ''))[1]}"
        state.context_info.color_scheme = "light"
        self._seen_new_session = False
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())

    def _fetch(self, url: str) -> int:
        with NO_PROXY.open(self.base_url + url, timeout=RUN_TIMEOUT_S) as response:
            return len(response.read())

    # Reading --------------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self._handle(data)
        except (ConnectionClosed, OSError) as exc:
            self._fail_run(exc)
        except Exception as exc:
            self._fail_run(exc)  # A message this client cannot handle fails the run instead of hanging it.
            raise
        self._fail_run(ConnectionError("the server closed the websocket"))

    def _fail_run(self, error: BaseException) -> None:
        if self._run is not None and not self._run["done"].done():
            self._run["done"].set_exception(error)
        for future in self._file_urls.values():
            if not future.done():
                future.set_exception(error)

    def _handle(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        run = self._run
        if run is not None:
            run["payload"] += len(data)
            run["messages"] += 1
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.cache.process(msg)
            if run is not None:
                run["refs"] += 1
                run["saved"] += cached.ByteSize() if cached is not None else 0
                if cached is None:
                    run["errors"].append(f"cache miss for {msg.ref_hash}")
            if cached is None:
                return
            cached.metadata.CopyFrom(msg.metadata)
            msg, kind = cached, "delta"
        else:
            self.cache.process(msg)
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(msg)

    def _on_new_session(self, msg: ForwardMsg) -> None:
        self._max_age = msg.new_session.config.max_cached_message_age or self._max_age
        self.session_id = msg.new_session.initialize.session_id or self.session_id
        self._seen_new_session = True
        fragments = list(msg.metadata.run.fragment_ids)
        if not fragments:  # A full run redraws the page and re-arms its timers.
            for task in self._auto_reruns.values():
                task.cancel()
            self._auto_reruns.clear()
            self.widgets, self.texts = {}, {}
        run = self._run
        if run is not None and (run["fragment"] in fragments if run["fragment"] else not fragments):
            run["new_session"] = True

    def _on_navigation(self, msg: ForwardMsg) -> None:
        # The page that runs; new_session's hash is app.py's when a page was opened by its URL name.
        self.page_hash = msg.navigation.page_script_hash or self.page_hash
        for page in msg.navigation.app_pages:
            self.pages[page.page_name] = (page.page_script_hash, page.url_pathname)

    def _on_delta(self, msg: ForwardMsg) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        path = ".".join(map(str, msg.metadata.delta_path))
        if kind in WIDGET_KINDS:
            proto = getattr(element, kind)
            widget = Widget(proto.id, kind, proto, msg.delta.fragment_id)
            self.widgets[path] = widget
            value = initial_state(widget)
            if value is not None and (widget.id not in self.values or getattr(proto, "set_value", False)):
                self.values[widget.id] = value
        elif kind in ("progress", "alert"):
            self.texts[path] = element.progress.text if kind == "progress" else element.alert.body
        elif kind == "exception" and self._run is not None:
            self._run["errors"].append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "imgs" and self._run is not None:
            self._run["media"] += [image.url for image in element.imgs.imgs if image.url.startswith("/")]

    def _on_script_finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        if status != EARLY and self._seen_new_session:
            self.cache.end_run(self._max_age, list(msg.metadata.run.fragment_ids))
        if status == FINISHED:  # The browser forgets the values of widgets the run no longer drew.
            drawn = {widget.id for widget in self.widgets.values()}
            self.values = {key: value for key, value in self.values.items() if key in drawn}
        run = self._run
        expected = FRAGMENT_FINISHED if run is not None and run["fragment"] else FINISHED
        if run is not None and status == expected and run["new_session"] and not run["done"].done():
            run["done"].set_result(None)

    def _on_file_urls_response(self, msg: ForwardMsg) -> None:
        future = self._file_urls.get(msg.file_urls_response.response_id)
        if future is not None and not future.done():
            future.set_result(msg.file_urls_response)

    def _on_page_not_found(self, msg: ForwardMsg) -> None:
        if self._run is not None:
            self._run["errors"].append(f"page not found: {msg.page_not_found.page_name}")

    def _on_auto_rerun(self, msg: ForwardMsg) -> None:
        fragment_id, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
        if fragment_id and fragment_id not in self._auto_reruns:
            self._auto_reruns[fragment_id] = asyncio.create_task(self._auto_rerun(fragment_id, interval))

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            state = self._widget_client_state(fragment_id)
            state.is_auto_rerun = True
            await self._send(state)


def initial_state(widget: Widget) -> WidgetState | None:
    """The value the browser reports for a widget it has just drawn; None for buttons."""
    proto = widget.proto
    if widget.kind == "slider":
        indices = list(proto.value if proto.set_value else proto.default)
        if proto.type == Slider.SELECT_SLIDER:
            return widget_state(widget, [proto.options[int(i)] for i in indices])
        return widget_state(widget, indices)
    if widget.kind in ("radio", "selectbox"):
        if proto.set_value:
            return widget_state(widget, proto.raw_value)
        return widget_state(widget, proto.options[proto.default]) if proto.HasField("default") else None
    if widget.kind == "number_input" and not (proto.set_value or proto.HasField("default")):
        return None  # An empty number input (value=None) sends nothing.
    if widget.kind in ("number_input", "checkbox"):
        return widget_state(widget, proto.value if proto.set_value else proto.default)
    return None


def widget_state(widget: Widget, value) -> WidgetState:
    """A WidgetState in the field the frontend uses for this kind of widget."""
    state = WidgetState(id=widget.id)
    if widget.kind == "slider":
        values = value if isinstance(value, (list, tuple)) else [value]
        if widget.proto.type == Slider.SELECT_SLIDER:
            state.string_array_value.data.extend(str(v) for v in values)
        else:
            state.double_array_value.data.extend(float(v) for v in values)
    elif widget.kind == "number_input":
        if widget.proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
    elif widget.kind in ("radio", "selectbox"):
        state.string_value = str(value)
    elif widget.kind == "checkbox":
        state.bool_value = bool(value)
    else:
        raise ValueError(
            f"cannot set a {widget.kind} widget; settable kinds: slider, number_input, radio, selectbox, checkbox"
        )
    return state


def xsrf_token() -> str:
    """A fresh XSRF token in Streamlit's (Tornado's) version 2 form: ``2|mask|masked token|timestamp``."""
    mask, token = os.urandom(4), os.urandom(16)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|{int(time.time())}"


def multipart_file(filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one ``file`` part, as the browser's FormData sends it."""
    boundary = "----cnnlab" + uuid.uuid4().hex
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary
