from lemontaps import create_app

app = create_app()
