import os
import sys

# The package lives in python/, one level up (tests run from a checkout, installed or not).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
