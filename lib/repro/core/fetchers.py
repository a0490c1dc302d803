"""Downloads for :mod:`repro.core.manifests`, on well-kept libraries.

- Plain files go through :func:`pooch.retrieve`, which downloads to a temporary file,
  checks the SHA-256 and only then moves it into place. Its stock HTTP downloader
  restarts an interrupted transfer from zero, so :class:`ResumableDownloader` (a pooch
  downloader) keeps the bytes received so far in ``.<name>.part`` next to the target
  and asks for the rest with an HTTP ``Range`` request, on retry and on the next
  ``repro data fetch``. It shows a tqdm progress bar on stderr.
- Hugging Face files go through :mod:`repro.core.hub` instead.
"""

from __future__ import annotations

import shutil
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

CHUNK = 1 << 16  # bytes per write: at most this much is lost when a link drops


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
