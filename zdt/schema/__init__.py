"""What the live database looks like: an introspected, serialisable snapshot of its schema."""

from zdt.schema.snapshot import SchemaSnapshot, introspect

__all__ = ["SchemaSnapshot", "introspect"]
