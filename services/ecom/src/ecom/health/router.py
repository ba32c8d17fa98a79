from ecom.config import API_PREFIX
from servicekit.health import operations_router

router = operations_router(API_PREFIX)
