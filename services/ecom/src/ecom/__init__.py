"""E-Commerce service: catalog, carts, checkout, orders."""
