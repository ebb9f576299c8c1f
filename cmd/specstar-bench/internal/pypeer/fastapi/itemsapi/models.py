"""The benchmark's Item (examples/bench/specstar.yaml) as SQLAlchemy
models, with a history table that every write adds a row to, in the same
transaction (the layout django-simple-history uses)."""
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"

    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    title = Column(String(200), nullable=False)
    category = Column(String(16), nullable=False, index=True)
    happened_at = Column(DateTime(timezone=True), nullable=False, index=True)
    body = Column(Text, nullable=False, default="")
    score = Column(Integer, nullable=False, default=0, index=True)

    __table_args__ = (
        # The list: one category, newest first. With it the database reads
        # the 20 rows of the page instead of sorting the category.
        Index("ix_items_category_happened", "category", "happened_at", "id"),
    )


class ItemHistory(Base):
    __tablename__ = "items_history"

    history_id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    id = Column(BigInteger, nullable=False, index=True)
    title = Column(String(200), nullable=False)
    category = Column(String(16), nullable=False)
    happened_at = Column(DateTime(timezone=True), nullable=False)
    body = Column(Text, nullable=False)
    score = Column(Integer, nullable=False)
    history_date = Column(DateTime(timezone=True), nullable=False, index=True)
    history_type = Column(String(1), nullable=False)  # "+" created, "~" changed
