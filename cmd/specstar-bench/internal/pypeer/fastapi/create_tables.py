"""Creates the tables and indexes of the FastAPI peer (the migration step:
an application this small would use metadata.create_all or one Alembic
revision)."""
from itemsapi.database import engine
from itemsapi.models import Base

Base.metadata.create_all(engine)
