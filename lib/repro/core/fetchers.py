"""Downloads for :mod:`repro.core.manifests`, on well-kept libraries.

- Plain files go through :func:`pooch.retrieve`, which downloads to a temporary file,
  checks the SHA-256 and only then moves it into place. Its stock HTTP downloader
  restarts an interrupted transfer from zero, so :class:`ResumableDownloader` (a pooch
  downloader) keeps the bytes received so far in ``.<name>.part`` next to the target
  and asks for the rest with an HTTP ``Range`` request, on retry and on the next
  ``repro data fetch``. It shows a tqdm progress bar on stderr.
- Hugging Face files (``https://huggingface.co/<repo>/resolve/<revision>/<file>``) go
  through :func:`huggingface_hub.snapshot_download` at a pinned commit: the manifest's
  revision when it is a commit hash, else the commit the revision resolves to at first
  fetch, recorded in the lock file and labelled UNPINNED.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 16  # bytes per write: at most this much is lost when a link drops
COMMIT = re.compile(r"^[0-9a-f]{40}$")
HF_HOST = "huggingface.co"


class TransferError(OSError):
    """A transfer stopped early or failed; the bytes so far are kept for a resume."""


class RefusedError(TransferError):
    """The server refused the request (4xx other than 408/429): retrying will not help."""


class ResumableDownloader:
    """A pooch downloader that resumes from ``partial`` with HTTP Range requests.

    Args:
        partial: where received bytes are kept between attempts and runs.
        retries: further attempts after a failed or short transfer (each resumes).
        progress: show a tqdm progress bar on stderr.
        timeout: seconds to wait for the server per read.
        backoff: seconds before the first retry (doubled each time).
    """

    def __init__(
        self,
        partial: Path,
        retries: int = 3,
        progress: bool = True,
        timeout: float = 60,
        backoff: float = 1.0,
    ) -> None:
        self.partial = partial
        self.retries = retries
        self.progress = progress
        self.timeout = timeout
        self.backoff = backoff

    def __call__(self, url: str, output_file: Any, pooch: Any = None, check_only: bool = False):
        """Download ``url`` into ``output_file`` (pooch's temporary file)."""
        import requests

        if check_only:
            return True
        if urllib.parse.urlparse(url).scheme == "file":
            source = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
            shutil.copyfile(source, output_file)
            return None
        for attempt in range(self.retries + 1):
            try:
                self._transfer(url)
                break
            except RefusedError:
                raise
            except (requests.RequestException, TransferError) as exc:
                if attempt == self.retries:
                    raise TransferError(self._give_up(exc)) from exc
                time.sleep(self.backoff * 2**attempt)
        shutil.move(self.partial, output_file)
        return None

    def _give_up(self, exc: BaseException) -> str:
        """One line for the last failed attempt; an empty partial file is removed."""
        import requests

        have = self.partial.stat().st_size if self.partial.exists() else 0
        if have == 0:
            self.partial.unlink(missing_ok=True)
        # A dropped link mid-body; a refused connection before any byte is a failure.
        cut = isinstance(exc, TransferError | requests.exceptions.ChunkedEncodingError)
        cut = cut or (have > 0 and isinstance(exc, requests.ConnectionError | requests.Timeout))
        if not cut:
            return f"failed: {_first_line(exc)}"
        kept = f"{have} bytes kept; run again to resume" if have else "nothing kept"
        return f"interrupted ({_first_line(exc)}; {kept})"

    def _transfer(self, url: str) -> None:
        import requests
        from tqdm import tqdm

        have = self.partial.stat().st_size if self.partial.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if have and response.status_code == 416:  # nothing left to send: already complete
                return
            if response.status_code >= 400:
                error = f"HTTP {response.status_code} {response.reason}"
                if response.status_code < 500 and response.status_code not in {408, 429}:
                    raise RefusedError(f"failed: {error}")
                raise requests.HTTPError(error, response=response)
            if response.status_code != 206:
                have = 0  # the server ignored the Range: start again
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            self.partial.parent.mkdir(parents=True, exist_ok=True)
            with (
                open(self.partial, "ab" if have else "wb") as out,
                tqdm(
                    total=total,
                    initial=have,
                    unit="B",
                    unit_scale=True,
                    desc=self.partial.name.removeprefix(".").removesuffix(".part"),
                    file=sys.stderr,
                    disable=not self.progress,
                    mininterval=0.5,
                ) as bar,
            ):
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        received = self.partial.stat().st_size
        if total is not None and received != total:
            raise TransferError(f"short transfer: {received} of {total} bytes")


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class HubFile:
    """A file on the Hugging Face Hub, parsed from its ``resolve`` URL."""

    repo_id: str
    repo_type: str  # model | dataset
    revision: str
    filename: str

    @property
    def pinned(self) -> bool:
        return bool(COMMIT.match(self.revision))

    @property
    def lock_key(self) -> str:
        """Lock-file key under which the resolved commit of an unpinned revision is kept."""
        return f"hf-revision:{self.repo_type}:{self.repo_id}@{self.revision}"


def parse_hub_url(url: str | None) -> HubFile | None:
    """``HubFile`` for ``https://huggingface.co/[datasets/]<org>/<name>/resolve/<rev>/<file>``."""
    if not url:
        return None
    parts = urllib.parse.urlparse(url)
    if parts.hostname != HF_HOST:
        return None
    segments = [urllib.parse.unquote(s) for s in parts.path.strip("/").split("/")]
    repo_type = "model"
    if segments and segments[0] == "datasets":
        repo_type, segments = "dataset", segments[1:]
    if len(segments) < 5 or segments[2] != "resolve":
        return None
    return HubFile("/".join(segments[:2]), repo_type, segments[3], "/".join(segments[4:]))


#: ``(repo_id, repo_type, revision, filenames, dest) -> resolved commit``; tests inject one.
HubDownload = Callable[[str, str, str, Sequence[str], Path], str]


def hub_download(
    repo_id: str, repo_type: str, revision: str, filenames: Sequence[str], dest: Path
) -> str:
    """Download ``filenames`` of a Hub repo at ``revision`` into ``dest``; return the commit.

    An unpinned revision (a branch or tag) is resolved to its commit first, and the
    files are fetched at that commit, so the files and the recorded commit agree.
    """
    from huggingface_hub import HfApi, snapshot_download

    commit = revision
    if not COMMIT.match(revision):
        commit = HfApi().repo_info(repo_id, repo_type=repo_type, revision=revision).sha
    snapshot_download(
        repo_id,
        repo_type=repo_type,
        revision=commit,
        allow_patterns=list(filenames),
        local_dir=dest,
    )
    return commit
