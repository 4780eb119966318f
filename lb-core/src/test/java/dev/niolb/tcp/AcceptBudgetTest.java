package dev.niolb.tcp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AcceptBudgetTest {
    private final AcceptBudget budget = new AcceptBudget(64);

    @Test
    void aWakeUpDrainsTheBacklogAtFirst() {
        assertThat(budget.next()).isEqualTo(64);
    }

    @Test
    void afterAWakeUpThatFoundAFewAndThenNoneTheNextFewTakeOneEach() {
        budget.foundEmpty(budget.next(), AcceptBudget.FEW);
        for (int i = 0; i < AcceptBudget.SINGLE_TAKES; i++) {
            assertThat(budget.next()).as("wake-up %d", i).isEqualTo(1);
        }
        assertThat(budget.next()).as("then one drains again").isEqualTo(64);
    }

    @Test
    void aWakeUpThatFoundNoneAtAllAlsoTakesOneAtATimeAfter() {
        budget.foundEmpty(budget.next(), 0);
        assertThat(budget.next()).isEqualTo(1);
    }

    @Test
    void aDrainThatFoundMoreThanAFewKeepsDraining() {
        budget.foundEmpty(budget.next(), AcceptBudget.FEW + 1);
        assertThat(budget.next()).isEqualTo(64);
    }

    @Test
    void aSingleTakeThatFindsNothingDoesNotStartAnotherRunOfThem() {
        budget.foundEmpty(budget.next(), 1);
        budget.foundEmpty(budget.next(), 0); // a client that reset before its accept
        for (int i = 1; i < AcceptBudget.SINGLE_TAKES; i++) {
            assertThat(budget.next()).isEqualTo(1);
        }
        assertThat(budget.next()).isEqualTo(64);
    }
}
