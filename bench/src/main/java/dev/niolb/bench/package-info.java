package dev.niolb.bench;
