// The program's entry (Pulumi.yaml's `main`). Every key of the exported object becomes a stack output, so it
// exports the outputs and nothing else; the config helpers live in program/.
import { main } from "./program/main";

export = main();
