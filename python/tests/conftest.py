import os
import sys

# The package and the example app live in python/, one level up.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
