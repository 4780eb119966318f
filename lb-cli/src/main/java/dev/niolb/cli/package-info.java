package dev.niolb.cli;
