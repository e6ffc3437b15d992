"""What /healthz reports: the database, Redis, and operator errors at Salesforce's token
endpoint (e.g. invalid_client: a wrong client id or secret in the configuration)."""

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import SalesforceConnection


def health_report(rq_state) -> dict:
    report = {"database": _database_ok(), "redis": _redis_ok(rq_state)}
    report["salesforce_token_errors"] = (
        db.session.scalar(
            sa.select(sa.func.count(SalesforceConnection.id)).where(
                SalesforceConnection.token_error.is_not(None)
            )
        )
        if report["database"]
        else None
    )
    healthy = report["database"] and report["redis"] and not report["salesforce_token_errors"]
    report["status"] = "ok" if healthy else "degraded"
    return report


def _database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False


def _redis_ok(rq_state) -> bool:
    if rq_state.connection is None:
        return True  # in-process jobs (demo without Redis)
    try:
        return bool(rq_state.connection.ping())
    except Exception:  # noqa: BLE001  any Redis failure means "not ok"
        return False
