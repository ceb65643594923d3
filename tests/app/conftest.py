"""Fixtures of the app tests."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The bytes of every download button, by file name, as the server would send them."""
    served: dict[str, bytes] = {}
    add = MediaFileManager.add

    def record(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        if file_name and isinstance(path_or_data, bytes | str):
            data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
            served[file_name] = data
        return add(self, path_or_data, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", record)
    return served
