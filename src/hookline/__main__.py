from hookline.cli.main import app

app()
