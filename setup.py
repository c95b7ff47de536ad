"""The wheel carries compiled message catalogs: build_py compiles every .po into its .mo
(webapp/i18n.py) before the package data is collected."""
import runpy

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        runpy.run_path("webapp/i18n.py")["compile_catalogs"]()
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
