"""The web desk's single-use sign-in links (issue 24): a link used once is remembered in the
database until it expires, so it is refused after a restart too."""

from __future__ import annotations

import datetime as dt

from services.core import Services
from store.errors import Duplicate


async def use_once(svc: Services, nonce: str, expires: float) -> bool:
    """Remember the link `nonce` as used until `expires` (a timestamp); False if it was used
    before. The links past their expiry are forgotten on the way."""
    async with svc.uow() as uow:
        await uow.signins.forget_expired(svc.clock.now())
        uow.signins.add(nonce, dt.datetime.fromtimestamp(expires, dt.UTC))
        try:
            await uow.commit()
        except Duplicate:
            return False
    return True
