from typing import Annotated

from fastapi import Depends, Request

from ecom.clients.inventory import InventoryClient


async def inventory_client(request: Request) -> InventoryClient:
    """The app's client for inventory's reservation API (created by the lifespan)."""
    client: InventoryClient = request.app.state.inventory
    return client


InventoryDep = Annotated[InventoryClient, Depends(inventory_client)]
