"""The specstar-bench FastAPI peer: the items API with SQLAlchemy and
Pydantic, every write recorded in the history table in its transaction.

    uvicorn itemsapi.main:app --workers N

Endpoints are plain functions, which FastAPI runs in its thread pool, as
its SQL tutorial does with SQLAlchemy's (synchronous) sessions.
"""
from datetime import datetime, timezone
from typing import List, Optional

from fastapi import Depends, FastAPI, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import models, schemas
from .database import get_db, get_write_db

app = FastAPI(title="specstar-bench items", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
def healthz():
    return Response("ok", media_type="text/plain")


def record(db: Session, item: models.Item, kind: str):
    """Adds the history row of item's current state to the transaction."""
    db.add(
        models.ItemHistory(
            id=item.id,
            title=item.title,
            category=item.category,
            happened_at=item.happened_at,
            body=item.body,
            score=item.score,
            history_date=datetime.now(timezone.utc),
            history_type=kind,
        )
    )


@app.get("/api/items/{item_id}", response_model=schemas.ItemOut)
def read_item(item_id: int, db: Session = Depends(get_db)):
    item = db.get(models.Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item


@app.get("/api/items", response_model=List[schemas.ItemOut])
def list_items(
    category: Optional[schemas.Category] = None,
    limit: int = 20,
    skip: int = 0,
    db: Session = Depends(get_db),
):
    """A page of items, newest happened_at first, of one category when
    ?category= is given."""
    q = select(models.Item)
    if category is not None:
        q = q.where(models.Item.category == category.value)
    q = q.order_by(models.Item.happened_at.desc(), models.Item.id.desc())
    return db.scalars(q.offset(skip).limit(min(limit, 100))).all()


@app.post("/api/items", response_model=schemas.ItemOut, status_code=201)
def create_item(data: schemas.ItemIn, db: Session = Depends(get_write_db)):
    with db.begin():
        item = models.Item(**data.dict())
        db.add(item)
        db.flush()  # assigns the id the history row needs
        record(db, item, "+")
    return item


@app.put("/api/items/{item_id}", response_model=schemas.ItemOut)
def update_item(item_id: int, data: schemas.ItemIn, db: Session = Depends(get_write_db)):
    with db.begin():
        item = db.get(models.Item, item_id, with_for_update=True)
        if item is None:
            raise HTTPException(status_code=404, detail="Item not found")
        for field, value in data.dict().items():
            setattr(item, field, value)
        record(db, item, "~")
    return item
