from ecom.models.base import Base
from ecom.models.book import Book
from ecom.models.cart import Cart, CartItem
from ecom.models.order import Checkout, CheckoutState, CustomerOrder, OrderItem, OrderStatus
from ecom.models.outbox import Outbox

__all__ = [
    "Base",
    "Book",
    "Cart",
    "CartItem",
    "Checkout",
    "CheckoutState",
    "CustomerOrder",
    "OrderItem",
    "OrderStatus",
    "Outbox",
]
