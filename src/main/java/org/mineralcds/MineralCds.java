package org.mineralcds;

public final class MineralCds {
  private MineralCds() {}

  public static void main(String[] args) {}
}
