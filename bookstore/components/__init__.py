"""The components of the local platform: `base` says what a component is, one module per component,
`registry` lists them. See docs/adding-a-component.md."""

from bookstore.components.base import SERVICE_USER, Component, Context, port_in_use
from bookstore.components.kafka import TOPICS
from bookstore.components.registry import BY_NAME, COMPONENTS, DATABASES

__all__ = ["BY_NAME", "COMPONENTS", "DATABASES", "SERVICE_USER", "TOPICS", "Component", "Context", "port_in_use"]
