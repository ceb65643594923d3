"""Fixtures of the app tests."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The bytes of every download button, by file name, as the server would send them:
    data given to the button as it is, data made on click (a callable) as the click makes
    it, by calling it."""
    served: dict[str, bytes] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def keep(file_name, data):
        if file_name and isinstance(data, bytes | str):
            served[file_name] = data.encode() if isinstance(data, str) else data

    def record(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        keep(file_name, path_or_data)
        return add(self, path_or_data, mimetype, coordinates, file_name=file_name, **kwargs)

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        keep(file_name, data_callable())
        return add_deferred(
            self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs
        )

    monkeypatch.setattr(MediaFileManager, "add", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return served
