from flask import Blueprint

# The routes module is imported by register_blueprints(), not here: services import this
# package's models, and must not pull in the views with them.
bp = Blueprint("exports", __name__, url_prefix="/exports")
