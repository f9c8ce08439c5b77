"""``SandboxClient``: a driver's handle on a sandbox running in another process, over HTTP.

Its ticket actions have the same signatures as ``SandboxHost``'s, so a scenario plays the same
against either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from .clock import iso


class SandboxError(RuntimeError):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.request.method} {response.url}: {response.status_code} {response.text[:500]}")
        self.status = response.status_code


class SandboxClient:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = requests.Session()

    def _call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = self._http.request(method, f"{self.base_url}{path}", json=body, params=params or None,
                                      timeout=self._timeout)
        if not response.ok:
            raise SandboxError(response)
        return response.json()

    @staticmethod
    def _ticket_path(account_id: str, ticket_id: str) -> str:
        return f"/sandbox/accounts/{quote(account_id, safe='')}/tickets/{quote(ticket_id, safe='')}"

    # The marketplace's side.

    def install(self, account_id: str, timezone: str = "UTC") -> dict[str, Any]:
        """Answers the install's document, the account's access token and webhook secret included."""
        return dict(self._call("POST", "/sandbox/accounts", {"account_id": account_id, "timezone": timezone}))

    def uninstall(self, account_id: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/sandbox/accounts/{quote(account_id, safe='')}"))

    def admin_session(self, account_id: str, role: str = "admin") -> str:
        return str(self._call("POST", f"/sandbox/accounts/{quote(account_id, safe='')}/session",
                              {"role": role})["access_token"])

    def save_settings(self, account_id: str, document: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("PUT", f"/sandbox/accounts/{quote(account_id, safe='')}/settings", document))

    # The helpdesk's side (the same signatures as SandboxHost's).

    def set_clock(self, now: datetime | None, rate: float = 0.0) -> dict[str, Any]:
        return dict(self._call("POST", "/sandbox/clock", {"now": iso(now) if now else None, "rate": rate}))

    def create_ticket(self, account_id: str, fields: dict[str, Any], send: bool = True) -> dict[str, Any]:
        return dict(self._call("POST", f"/sandbox/accounts/{quote(account_id, safe='')}/tickets", fields,
                               send=str(send).lower()))

    def update_ticket(self, account_id: str, ticket_id: str, fields: dict[str, Any],
                      send: bool = True) -> dict[str, Any]:
        return dict(self._call("PATCH", self._ticket_path(account_id, ticket_id), fields, send=str(send).lower()))

    def reply(self, account_id: str, ticket_id: str, author: str, body: str = "", public: bool = True,
              status: str | None = None, send: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {"author": author, "body": body, "public": public}
        if status is not None:
            message["status"] = status
        return dict(self._call("POST", f"{self._ticket_path(account_id, ticket_id)}/messages", message,
                               send=str(send).lower()))

    def delete_ticket(self, account_id: str, ticket_id: str, send: bool = True) -> dict[str, Any]:
        return dict(self._call("DELETE", self._ticket_path(account_id, ticket_id), send=str(send).lower()))

    # Faults, tokens, and what the host received.

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/sandbox/faults", spec))

    def clear_faults(self) -> None:
        self._call("DELETE", "/sandbox/faults")

    def revoke(self, account_id: str | None = None) -> None:
        self._call("POST", "/sandbox/revoke", {"account_id": account_id} if account_id else {})

    def restore(self, account_id: str | None = None) -> None:
        self._call("POST", "/sandbox/restore", {"account_id": account_id} if account_id else {})

    def reset(self) -> None:
        self._call("POST", "/sandbox/reset")

    def state(self) -> dict[str, Any]:
        return dict(self._call("GET", "/sandbox/state"))

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        return list(self._call("GET", "/sandbox/calls", since=str(since))["calls"])

    def effects(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/sandbox/effects")["effects"])

    def webhooks(self, account_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", "/sandbox/webhooks", account_id=account_id)["webhooks"])
