"""Deterministic, realistic demo data for the Chongqing elderly-care programme."""

from passport.demo.generator import IssuerSpec, Programme, WorkerHistory, generate

__all__ = ["IssuerSpec", "Programme", "WorkerHistory", "generate"]
