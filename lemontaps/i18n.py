from flask import current_app
from flask import request
from flask_login import current_user


def select_locale() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.language
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])
